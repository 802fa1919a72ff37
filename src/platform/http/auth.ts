// Who is calling: a person with a session, or a system with an API key. Every API route declares
// its access in config.access ('public' or the roles allowed); this hook enforces it before any
// handler runs. The identity module supplies the Authenticator that turns a credential into a Principal.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from './problem.ts';

export const roles = ['carrier', 'agent', 'trader', 'bank', 'officer', 'supervisor', 'risk_analyst', 'admin', 'terminal', 'tracker'] as const;
export type Role = (typeof roles)[number];

/** Roles of the customs administration itself, who may see what traders may not (risk reasons...). */
export const customsRoles: readonly Role[] = ['officer', 'supervisor', 'risk_analyst', 'admin'];

export interface Principal {
  kind: 'user' | 'api-key';
  /** User id or API key id. */
  id: string;
  name: string;
  organisationId: string;
  organisationKind: string;
  organisationName: string;
  roles: Role[];
}

export interface Authenticator {
  /** Resolves a bearer session token or an API key; undefined when it is not valid. */
  authenticate(credential: { bearer?: string; apiKey?: string }): Promise<Principal | undefined>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export function isCustoms(p: Principal): boolean {
  return p.roles.some((r) => customsRoles.includes(r));
}

/** The caller of a route that is not public; the hook has already checked it exists. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) {
    throw unauthorized();
  }
  return request.principal;
}

/** Who did something, as the audit trail records it. */
export interface Actor {
  id: string;
  name: string;
  organisationId: string | null;
  role: string;
}

/** The caller as an audit actor, acting in the role the route allowed. */
export function actorOf(request: FastifyRequest): Actor {
  const p = principalOf(request);
  return { id: p.id, name: p.name, organisationId: p.organisationId, role: actingRole(request) };
}

/** The role an action is recorded under: the first of the caller's roles that the route allows. */
export function actingRole(request: FastifyRequest): Role {
  const p = principalOf(request);
  const access = request.routeOptions.config.access;
  const allowed = Array.isArray(access) ? (access as readonly string[]) : [];
  return p.roles.find((r) => allowed.includes(r)) ?? p.roles[0] ?? 'trader';
}

/**
 * `replayed` names the principal of a lodgement replayed from the store-and-forward journal
 * (an in-process request carrying a one-time token): the caller who lodged it, as it was then.
 */
export function installAuth(app: FastifyInstance, authenticator: Authenticator, replayed: (request: FastifyRequest) => Principal | undefined = () => undefined): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access;
    const replay = replayed(request);
    if (replay) {
      request.principal = replay;
      if (Array.isArray(access) && !replay.roles.some((r) => (access as readonly string[]).includes(r))) {
        throw forbidden(`This action needs one of the roles ${access.join(', ')}`);
      }
      return;
    }
    const header = request.headers.authorization;
    const bearer = typeof header === 'string' && header.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
    const apiKey = typeof request.headers['x-api-key'] === 'string' ? request.headers['x-api-key'] : undefined;
    if (bearer === undefined && apiKey === undefined) {
      if (access !== undefined && access !== 'public') {
        throw unauthorized('This route needs a login (Authorization: Bearer <session token>) or an API key (X-API-Key)');
      }
      return;
    }
    const principal = await authenticator.authenticate({ ...(bearer === undefined ? {} : { bearer }), ...(apiKey === undefined ? {} : { apiKey }) });
    if (!principal) {
      throw unauthorized('The session token or API key is not valid, has expired or was revoked');
    }
    request.principal = principal;
    if (Array.isArray(access) && !principal.roles.some((r) => (access as readonly string[]).includes(r))) {
      throw forbidden(`This action needs one of the roles ${access.join(', ')}; you have ${principal.roles.join(', ') || 'none'}`);
    }
  });
}
