/**
 * Where a Spark Connect session's Spark UI (and so its REST API) answers. The client only knows
 * a connection string (`sc://host:15002/;user_id=…;token=…`, or `local[2]` for a server started
 * in the client's own process); the UI is the Connect server's driver UI. The Connect hook reads,
 * once per session and without a Spark job, the server's `spark.ui.port`, `spark.app.id` and
 * `spark.driver.host` and writes them to its events file (`connect-session` lines).
 */
import { isLocalMaster } from '../launcher/submitCommand';

/** pyspark's DefaultChannelBuilder.default_port(). */
export const DEFAULT_CONNECT_PORT = 15002;
/** Spark's default spark.ui.port. */
export const DEFAULT_UI_PORT = 4040;

/** A connection string without its secrets. */
export interface ConnectTarget {
  /** `local[2]`: a server in the client's own process (SparkSession.builder.remote("local[2]")). */
  readonly local?: string;
  readonly host: string;
  readonly port: number;
  readonly userId?: string;
  readonly useSsl: boolean;
  /** A `token=` was given; it is never kept. */
  readonly hasToken: boolean;
}

/**
 * Parses `sc://host[:port][/;key=value;...]` (pyspark's ChannelBuilder grammar) or a local master.
 * Undefined for anything else. The token is dropped: it must never reach a log or a setting.
 */
export function parseConnectUrl(url: string): ConnectTarget | undefined {
  const text = url.trim();
  if (isLocalMaster(text)) return { local: text, host: '127.0.0.1', port: DEFAULT_CONNECT_PORT, useSsl: false, hasToken: false };
  const m = /^sc:\/\/(\[[^\]]+\]|[^:/;]+)(?::(\d{1,5}))?\/?(?:;(.*))?$/.exec(text);
  if (!m) return undefined;
  const params = new Map<string, string>();
  for (const kv of (m[3] ?? '').split(';')) {
    const i = kv.indexOf('=');
    if (i > 0) params.set(kv.slice(0, i).trim().toLowerCase(), decodeURIComponentSafe(kv.slice(i + 1).trim()));
  }
  const port = m[2] !== undefined ? Number(m[2]) : DEFAULT_CONNECT_PORT;
  if (port <= 0 || port > 65535) return undefined;
  const userId = params.get('user_id');
  return {
    host: m[1].replace(/^\[|\]$/g, ''),
    port,
    ...(userId ? { userId } : {}),
    useSsl: params.get('use_ssl') === 'true',
    hasToken: params.has('token'),
  };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** What the hook learnt of one session (its `connect-session` event). */
export interface ConnectSessionFacts {
  readonly sessionId: string;
  /** `host:port` the client dialled. */
  readonly endpoint?: string;
  readonly appId?: string;
  readonly appName?: string;
  readonly uiPort?: number;
  readonly driverHost?: string;
  readonly master?: string;
}

/** The `connect-session` lines of the hook's events file (SO_HOOK_EVENTS), in order; other lines and bad JSON are skipped. */
export function connectSessions(eventsText: string): ConnectSessionFacts[] {
  const out: ConnectSessionFacts[] = [];
  for (const line of eventsText.split('\n')) {
    if (!line.includes('"connect-session"')) continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof e !== 'object' || e === null) continue;
    const r = e as Record<string, unknown>;
    if (r.event !== 'connect-session' || typeof r.sessionId !== 'string') continue;
    const s = (k: string): string | undefined => (typeof r[k] === 'string' && r[k] !== '' ? (r[k] as string) : undefined);
    const uiPort = Number(s('uiPort'));
    out.push({
      sessionId: r.sessionId,
      ...(s('endpoint') ? { endpoint: s('endpoint') } : {}),
      ...(s('appId') ? { appId: s('appId') } : {}),
      ...(s('appName') ? { appName: s('appName') } : {}),
      ...(Number.isInteger(uiPort) && uiPort > 0 && uiPort < 65536 ? { uiPort } : {}),
      ...(s('driverHost') ? { driverHost: s('driverHost') } : {}),
      ...(s('master') ? { master: s('master') } : {}),
    });
  }
  return out;
}

/**
 * The Spark UI of a Connect server. A setting for that server wins (a remote server's UI may sit
 * behind a proxy or another name). Otherwise: the host the client dials (the server's own
 * `spark.driver.host` is often a name only its network knows), `localhost` as 127.0.0.1, at the
 * UI port the server reports, else Spark's default. Spark moves the UI up from a busy port
 * without changing spark.ui.port: match the application id (`appId`) on what answers there.
 */
export function connectUiUrl(target: ConnectTarget, facts?: Pick<ConnectSessionFacts, 'uiPort'>, setting?: string): string {
  const configured = setting?.trim();
  if (configured) return configured.replace(/\/+$/, '');
  const host = target.local || target.host === 'localhost' ? '127.0.0.1' : target.host;
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${facts?.uiPort ?? DEFAULT_UI_PORT}`;
}
