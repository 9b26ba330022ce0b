/**
 * The one HTTP client factory. Every request to Spark or Prometheus goes through here, so the
 * rules of DESIGN.md hold in one place: connect and total timeouts, a size cap, credentials sent
 * only to the origin they were saved for, no redirect across origins, a CA file per source, and
 * errors as typed values with secrets redacted.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { redact } from '../model/redaction';
import { ExchangeAnswer, ExchangeError, exchange } from './httpExchange';

/** Strips credentials from text meant for logs (model/redaction.ts): every error message here goes through it. */
export { redact };

export type Credentials =
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | { readonly type: 'bearer'; readonly token: string };

export type HttpErrorKind =
  | 'refused' // nothing listens
  | 'timeout' // connect or total deadline passed
  | 'network' // DNS, reset
  | 'tls' // the server's certificate is not trusted or not for this host
  | 'auth' // 401/403
  | 'notFound' // 404
  | 'status' // other non-2xx
  | 'notJson' // e.g. an HTML login page with status 200
  | 'malformed' // JSON that does not parse or has the wrong shape
  | 'tooLarge'
  | 'redirect' // to another origin: not followed, credentials not forwarded
  | 'cancelled'
  | 'config'; // the source's own settings cannot be used (its CA file cannot be read)

export class HttpError extends Error {
  constructor(
    readonly kind: HttpErrorKind,
    message: string,
    readonly status?: number,
    /** Body of an error answer, for APIs that explain themselves (Prometheus). Capped. */
    readonly body?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface HttpClientOptions {
  /** Base URL with its path (kept: proxies). */
  readonly baseUrl: string;
  readonly credentials?: Credentials;
  readonly caFile?: string;
  /** No byte for this long, from connect on: the request is abandoned. */
  readonly timeoutMs: number;
  /** Whole request, connect to last byte. */
  readonly totalTimeoutMs?: number;
  readonly maxBytes?: number;
  readonly maxRedirects?: number;
}

export interface RequestOptions {
  readonly params?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly signal?: AbortSignal;
  /** POST form (Prometheus accepts long queries as a form). */
  readonly form?: Readonly<Record<string, string>>;
  /** Statuses whose JSON body is still the answer (Prometheus' 400/422/503 carry `error`). */
  readonly acceptStatus?: readonly number[];
}

export interface HttpClient {
  readonly baseUrl: string;
  getJson(path: string, options?: RequestOptions): Promise<unknown>;
  /**
   * The body of a JSON answer as text, unparsed (statuses and HTML pages refused as by getJson):
   * the store compares it with the last one and parses only what changed.
   */
  getText(path: string, options?: RequestOptions): Promise<string>;
  /** For probes that must see a redirect rather than follow it. */
  head(path: string, options?: RequestOptions): Promise<{ status: number; location?: string }>;
}

export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

/**
 * The PEM of a source's CA. A file that is missing or unreadable is a typed error when the
 * client is made, so callers (the store's poll, "Open in Prometheus") show one message naming
 * the file instead of Node's raw ENOENT escaping as an unhandled rejection.
 */
function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new HttpError('config', `CA file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function originOf(url: string): string {
  return new URL(url).origin;
}

function joinUrl(base: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  return base.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, '');
}

function authHeader(c: Credentials): string {
  return c.type === 'basic'
    ? 'Basic ' + Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')
    : 'Bearer ' + c.token;
}

/** Creates a client bound to one source. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const origin = originOf(baseUrl);
  const maxRedirects = options.maxRedirects ?? 3;
  const ca = options.caFile ? readCa(options.caFile) : undefined;
  const limits = { idleMs: options.timeoutMs, maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES, totalMs: options.totalTimeoutMs ?? options.timeoutMs * 3 };
  // keepAlive: a poll is a handful of requests to one driver every few seconds; reusing the
  // socket keeps our cost on the driver low (DESIGN.md: ≤ 1 % of one core).
  // The agents' socket timeout: Node starts a request's own timeout only once its socket is
  // connected, so a connect that hangs (a full accept queue, a firewall dropping packets) would
  // wait for the total deadline, 3× the setting. It also ends pooled sockets idle that long.
  const agent = (url: URL, keepAlive: boolean): http.Agent =>
    url.protocol === 'https:'
      ? new https.Agent({ keepAlive, maxSockets: keepAlive ? 4 : Infinity, ca, timeout: options.timeoutMs })
      : new http.Agent({ keepAlive, maxSockets: keepAlive ? 4 : Infinity, timeout: options.timeoutMs });
  const pooled = new Map<string, http.Agent>();
  const pool = (url: URL) => pooled.get(url.protocol) ?? pooled.set(url.protocol, agent(url, true)).get(url.protocol)!;
  const plain: Record<string, string> = { Accept: 'application/json', 'Accept-Encoding': 'gzip, deflate' };
  const authorised = options.credentials ? { ...plain, Authorization: authHeader(options.credentials) } : plain;

  async function send(method: 'GET' | 'POST', path: string, opts: RequestOptions, follow: boolean): Promise<ExchangeAnswer> {
    let url = new URL(joinUrl(baseUrl, path));
    const params = cleanParams(opts.params);
    if (params) for (const [k, v] of params) url.searchParams.append(k, v);
    const body = opts.form ? new URLSearchParams(opts.form as Record<string, string>).toString() : undefined;
    const form = body === undefined ? undefined : { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) };
    for (let hop = 0; ; hop++) {
      // Credentials go only to the origin they were saved for, redirects included.
      const own = url.origin === origin ? authorised : plain;
      const req = { method, url, headers: form ? { ...own, ...form } : own, body, agent: pool(url) };
      let res: ExchangeAnswer;
      try {
        res = await exchange(req, limits, opts.signal);
      } catch (e) {
        // A kept-alive socket the server has since closed fails at once with a reset, before any
        // answer; the request never reached the server, so one fresh attempt is safe.
        if (!isStaleSocket(e)) throw toHttpError(e);
        try {
          // Other idle sockets in the pool may be just as dead: this attempt opens its own.
          res = await exchange({ ...req, agent: agent(url, false) }, limits, opts.signal);
        } catch (e2) {
          throw toHttpError(e2);
        }
      }
      if (!follow || res.status < 300 || res.status >= 400 || !res.location) return res;
      const next = new URL(res.location, url);
      if (next.origin !== origin) {
        throw new HttpError('redirect', `redirected to another origin (${redact(next.origin)}); not followed`, res.status);
      }
      if (hop >= maxRedirects) throw new HttpError('redirect', 'too many redirects', res.status);
      url = next;
    }
  }

  async function getText(path: string, opts: RequestOptions = {}): Promise<string> {
    const res = await send(opts.form ? 'POST' : 'GET', path, opts, true);
    const text = res.text;
    const ok = (res.status >= 200 && res.status < 300) || (opts.acceptStatus ?? []).includes(res.status);
    if (!ok) {
      const body = text.slice(0, 2000);
      if (res.status === 401 || res.status === 403) throw new HttpError('auth', `HTTP ${res.status}: not authorised`, res.status, body);
      if (res.status === 404) throw new HttpError('notFound', `HTTP 404 for ${redact(path)}`, 404, body);
      throw new HttpError('status', `HTTP ${res.status}`, res.status, body);
    }
    if (startsWithTag(text)) {
      // A login page or a proxy's error page answered with 200 instead of JSON.
      throw new HttpError('notJson', `expected JSON, got HTML (status ${res.status}); a login page or proxy in the way?`, res.status);
    }
    return text;
  }

  return {
    baseUrl,
    getText,
    async getJson(path, opts = {}) {
      return parseJsonText(await getText(path, opts));
    },
    async head(path, opts = {}) {
      const res = await send('GET', path, opts, false);
      return { status: res.status, location: res.location };
    },
  };
}

/** Whether the text's first non-blank character is `<` (HTML), without copying the text. */
function startsWithTag(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xfeff) continue;
    return c === 0x3c;
  }
  return false;
}

/** JSON text → value; text that does not parse is a `malformed` HttpError. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError('malformed', `malformed JSON (${text.length} bytes)`);
  }
}

function cleanParams(p: RequestOptions['params']): [string, string][] | undefined {
  if (!p) return undefined;
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(p)) if (v !== undefined) out.push([k, String(v)]);
  return out;
}

function isStaleSocket(e: unknown): boolean {
  if (!(e instanceof ExchangeError) || e.failure.why !== 'socket' || e.failure.answered) return false;
  const { code, message } = e.failure;
  return code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(message);
}

/** OpenSSL's verdicts on a chain that does not lead to a trusted CA: a caFile fixes them. */
const UNTRUSTED_CERT = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);
/** Other certificate verdicts (expired, another host's): the server's to fix, not a caFile. */
const BAD_CERT = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_REJECTED']);

/**
 * A TLS verification failure as a message that says it is the certificate and what to do:
 * Node's own ("unable to verify the first certificate") names neither.
 */
function certificateError(code: string | undefined, message: string): HttpError | undefined {
  if (!code) return undefined;
  const why = redact(message);
  if (UNTRUSTED_CERT.has(code)) return new HttpError('tls', `certificate not trusted (${why}): set this source's "caFile" to the PEM file of the CA that signed it`);
  if (BAD_CERT.has(code)) return new HttpError('tls', `certificate problem: ${why}`);
  return undefined;
}

function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (!(e instanceof ExchangeError)) return new HttpError('network', `network error: ${redact(String(e))}`);
  const f = e.failure;
  switch (f.why) {
    case 'cancelled':
      return new HttpError('cancelled', 'cancelled');
    case 'total':
      return new HttpError('timeout', 'timed out (total)');
    case 'timeout':
      return new HttpError('timeout', 'timed out');
    case 'tooLarge':
      return new HttpError('tooLarge', 'response over the size cap');
  }
  const msg = redact(f.message);
  if (f.code === 'ECONNREFUSED') return new HttpError('refused', 'connection refused');
  if (f.code === 'ETIMEDOUT') return new HttpError('timeout', 'timed out');
  const tls = certificateError(f.code, f.message);
  if (tls) return tls;
  return new HttpError('network', `${f.code ?? 'network error'}: ${msg}`);
}
