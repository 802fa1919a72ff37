// This administration's signing key and its partners' settings, read from files named by the
// environment (never from code): PARTNER_KEY_FILE holds our Ed25519 private key as a JWK,
// PARTNER_PARTNERS_FILE a JSON list of partners, each { country, endpoint, publicKey (JWK) }.
// `forodha partner keygen` writes a key pair. Messages are compact JWS (EdDSA / Ed25519).
import fs from 'node:fs';
import path from 'node:path';
import { CompactSign, compactVerify, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

export class PartnerConfigError extends Error {}

export interface Partner {
  country: string;
  /** Base URL of the partner's Forodha (messages go to {endpoint}/api/v1/partner/messages). */
  endpoint: string;
  publicKey: CryptoKey;
}

export interface PartnerSettings {
  /** This administration's country code (ISO 3166 alpha-2). */
  country: string;
  privateKey: CryptoKey;
  partners: Map<string, Partner>;
  /** Milliseconds a delivery waits for the partner's answer before it counts as a failed attempt. */
  timeoutMs: number;
}

const countryPattern = /^[A-Z]{2}$/;
export const jwsType = 'forodha-partner+jws';

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PartnerConfigError(`${what} ${file} cannot be read as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function ed25519(jwk: unknown, what: string, kind: 'private' | 'public'): Promise<CryptoKey> {
  const k = jwk as JWK | null;
  if (!k || typeof k !== 'object' || k.kty !== 'OKP' || k.crv !== 'Ed25519' || typeof k.x !== 'string' || (kind === 'private') !== (typeof k.d === 'string')) {
    throw new PartnerConfigError(`${what} is not an Ed25519 ${kind} key in JWK form ({"kty":"OKP","crv":"Ed25519","x":...${kind === 'private' ? ',"d":...' : ''}}); make one with forodha partner keygen`);
  }
  // Only the key material: a private JWK passed as a partner's public key would keep its "d" otherwise.
  const material: JWK = kind === 'private' ? { kty: 'OKP', crv: 'Ed25519', x: k.x, d: k.d! } : { kty: 'OKP', crv: 'Ed25519', x: k.x };
  return (await importJWK(material, 'EdDSA')) as CryptoKey;
}

/** Reads and checks the partner settings; undefined when PARTNER_COUNTRY is unset (exchange off). */
export async function loadPartnerSettings(env: { country?: string | undefined; keyFile?: string | undefined; partnersFile?: string | undefined; timeoutMs: number }): Promise<PartnerSettings | undefined> {
  if (env.country === undefined) {
    return undefined;
  }
  if (!countryPattern.test(env.country)) {
    throw new PartnerConfigError(`PARTNER_COUNTRY="${env.country}" is not a country code: two capital letters (ISO 3166), e.g. KE`);
  }
  if (env.keyFile === undefined || env.partnersFile === undefined) {
    throw new PartnerConfigError('PARTNER_COUNTRY needs PARTNER_KEY_FILE (our private key, JWK) and PARTNER_PARTNERS_FILE (the partners: country, endpoint, publicKey)');
  }
  const privateKey = await ed25519(readJson(env.keyFile, 'PARTNER_KEY_FILE'), `PARTNER_KEY_FILE ${env.keyFile}`, 'private');
  const list = readJson(env.partnersFile, 'PARTNER_PARTNERS_FILE');
  if (!Array.isArray(list) || list.length > 50) {
    throw new PartnerConfigError(`PARTNER_PARTNERS_FILE ${env.partnersFile} must be a JSON array of at most 50 partners`);
  }
  const partners = new Map<string, Partner>();
  for (const [i, entry] of list.entries()) {
    const p = entry as { country?: unknown; endpoint?: unknown; publicKey?: unknown } | null;
    const where = `PARTNER_PARTNERS_FILE entry ${i}`;
    if (!p || typeof p.country !== 'string' || !countryPattern.test(p.country) || p.country === env.country || partners.has(p.country)) {
      throw new PartnerConfigError(`${where}: "country" must be a two-letter country code, not ours (${env.country}) and not listed twice`);
    }
    let url: URL | undefined;
    try {
      url = typeof p.endpoint === 'string' && p.endpoint.length <= 500 ? new URL(p.endpoint) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol)) {
      throw new PartnerConfigError(`${where}: "endpoint" must be the partner's base URL (http or https), e.g. https://forodha.ura.go.ug`);
    }
    partners.set(p.country, { country: p.country, endpoint: url.href.replace(/\/$/, ''), publicKey: await ed25519(p.publicKey, `${where} publicKey`, 'public') });
  }
  return { country: env.country, privateKey, partners, timeoutMs: env.timeoutMs };
}

export interface Envelope {
  id: string;
  sender: string;
  receiver: string;
  type: string;
  subject: string;
  createdAt: string;
  body: unknown;
}

export async function sign(settings: PartnerSettings, envelope: Envelope): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(envelope))).setProtectedHeader({ alg: 'EdDSA', typ: jwsType, kid: envelope.sender }).sign(settings.privateKey);
}

/** The sender a JWS claims (its kid), before anything is checked; undefined when unreadable. */
export function claimedSender(jws: string): string | undefined {
  try {
    const kid = decodeProtectedHeader(jws).kid;
    return typeof kid === 'string' && countryPattern.test(kid) ? kid : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies the signature with the partner's key; returns the payload, or throws. */
export async function verify(jws: string, partner: Partner): Promise<unknown> {
  const { payload, protectedHeader } = await compactVerify(jws, partner.publicKey, { algorithms: ['EdDSA'] });
  if (protectedHeader.typ !== jwsType) {
    throw new Error(`typ must be ${jwsType}`);
  }
  return JSON.parse(new TextDecoder().decode(payload)) as unknown;
}

/** `forodha partner keygen DIR COUNTRY`: DIR/COUNTRY-private.jwk (0600) and DIR/COUNTRY-public.jwk. */
export async function keygenCommand(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  const [dir, country] = argv;
  if (dir === undefined || country === undefined || !countryPattern.test(country)) {
    err('usage: forodha partner keygen DIR COUNTRY   (COUNTRY: two capital letters, e.g. KE)');
    return 2;
  }
  const privateFile = path.join(dir, `${country}-private.jwk`);
  const publicFile = path.join(dir, `${country}-public.jwk`);
  if (fs.existsSync(privateFile)) {
    err(`${privateFile} exists already: not overwritten (move it away first to make a new key)`);
    return 1;
  }
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(privateFile, JSON.stringify(await exportJWK(privateKey)) + '\n', { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(publicFile, JSON.stringify(await exportJWK(publicKey)) + '\n');
  out(`private key: ${privateFile} (keep it here, PARTNER_KEY_FILE)`);
  out(`public key:  ${publicFile} (give it to the partners: their PARTNER_PARTNERS_FILE "publicKey")`);
  return 0;
}
