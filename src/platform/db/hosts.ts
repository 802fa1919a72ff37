// Finding the primary among several PostgreSQL servers. libpq takes a multi-host URL
// (`postgres://u@h1:5432,h2:5433/db?target_session_attrs=read-write`) and connects to the first
// host that is writable; the `pg` driver does not. This file gives `pg` the same behaviour: the
// pool's clients connect to the host the locator found, which probes the hosts in the order
// given and keeps the first where `pg_is_in_recovery()` is false and `transaction_read_only` is
// off (for target_session_attrs=read-write or primary; `any`, the default, takes the first host
// that answers). The answer is cached until a connection error or a read-only error
// (SQLSTATE 25006: we reached a standby after a failover) says it is stale; the next connection
// probes again. Connections to a server found read-only are closed, so the pool reconnects.
import pg from 'pg';

export interface Host {
  host: string;
  port: number;
}

export type TargetSessionAttrs = 'any' | 'read-write' | 'primary';

export interface HostList {
  hosts: Host[];
  /** The URL of each host, without target_session_attrs (pg passes unknown parameters to the server). */
  urls: string[];
  target: TargetSessionAttrs;
}

const attrsPattern = /([?&])target_session_attrs=([^&]*)&?/;

/**
 * The hosts of a connection URL. Undefined for an ordinary single-host URL without
 * target_session_attrs: then pg connects as it always does.
 */
export function parseHosts(url: string): HostList | undefined {
  const m = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/i.exec(url);
  if (!m) {
    return undefined;
  }
  const [, scheme = '', userinfo = '', hostPart = '', restWithAttrs = ''] = m;
  const attrs = attrsPattern.exec(restWithAttrs);
  const target = attrs?.[2] ?? 'any';
  if (!['any', 'read-write', 'primary'].includes(target)) {
    throw new Error(`target_session_attrs=${target} is not supported: use any, read-write or primary`);
  }
  if (!hostPart.includes(',') && attrs === null) {
    return undefined;
  }
  const rest = restWithAttrs.replace(attrsPattern, (_all, sep: string) => sep).replace(/[?&]$/, '');
  const hosts = hostPart.split(',').map((entry): Host => {
    const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (v6) {
      return { host: v6[1] ?? '', port: Number(v6[2] ?? 5432) };
    }
    const [host = '', port] = entry.split(':');
    return { host: host || 'localhost', port: Number(port ?? 5432) };
  });
  const urls = hosts.map((h) => `${scheme}${userinfo}${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}${rest}`);
  return { hosts, urls, target: target as TargetSessionAttrs };
}

/** The error when no host qualifies: a connection error (SQLSTATE 08001), so writes hold and retry. */
export class NoPrimaryError extends Error {
  readonly code = '08001';
  constructor(detail: string) {
    super(`no writable PostgreSQL server found: ${detail}`);
    this.name = 'NoPrimaryError';
  }
}

export class PrimaryLocator {
  private found: number | undefined;
  private probing: Promise<number> | undefined;
  private readonly clients = new Map<pg.Client, number>();

  constructor(
    readonly list: HostList,
    private readonly probeTimeoutMs: number,
  ) {}

  /** The host to connect to: the cached one, or the first that qualifies (probed once for all callers). */
  async primary(): Promise<{ index: number; host: Host }> {
    if (this.found === undefined) {
      this.probing ??= this.probe().finally(() => {
        this.probing = undefined;
      });
      this.found = await this.probing;
    }
    const index = this.found;
    return { index, host: this.list.hosts[index]! };
  }

  /**
   * The cached primary is stale: the next connection probes again. After a read-only error the
   * open connections to that host are closed too (they talk to a standby).
   */
  invalidate(readOnly = false): void {
    const stale = this.found;
    this.found = undefined;
    if (readOnly && stale !== undefined) {
      for (const [client, index] of this.clients) {
        if (index === stale) {
          this.clients.delete(client);
          client.end().catch(() => undefined);
        }
      }
    }
  }

  /** Which host each client connected to (so a read-only error can close them). */
  track(client: pg.Client, index: number): void {
    this.clients.set(client, index);
    client.once('end', () => this.clients.delete(client));
  }

  private async probe(): Promise<number> {
    const failures: string[] = [];
    for (const [index, url] of this.list.urls.entries()) {
      const host = this.list.hosts[index]!;
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: this.probeTimeoutMs, application_name: 'forodha-probe' });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rows } = await client.query<{ recovery: boolean; ro: string }>("select pg_is_in_recovery() as recovery, current_setting('transaction_read_only') as ro");
        const row = rows[0];
        if (this.list.target === 'any' || (row && !row.recovery && row.ro === 'off')) {
          return index;
        }
        failures.push(`${host.host}:${host.port} is read-only`);
      } catch (err) {
        failures.push(`${host.host}:${host.port} ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    throw new NoPrimaryError(failures.join('; '));
  }
}

/** A pg Client class whose connections go to the locator's primary. */
export function locatingClient(locator: PrimaryLocator): typeof pg.Client {
  class LocatingClient extends pg.Client {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's overloads (promise or callback) in one body
    override connect(callback?: any): any {
      const connecting = (async () => {
        const { index, host } = await locator.primary();
        this.host = host.host;
        this.port = host.port;
        const params = (this as unknown as { connectionParameters: { host: string; port: number } }).connectionParameters;
        params.host = host.host;
        params.port = host.port;
        try {
          await super.connect();
        } catch (err) {
          locator.invalidate();
          throw err;
        }
        locator.track(this, index);
        return this;
      })();
      if (typeof callback === 'function') {
        connecting.then(
          (c) => (callback as (err: null, c: pg.Client) => void)(null, c),
          (err: unknown) => (callback as (err: unknown) => void)(err),
        );
        return undefined;
      }
      return connecting;
    }
  }
  return LocatingClient;
}

/** The URL with its password hidden, for logs: every host kept. */
export function redactUrlText(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}
