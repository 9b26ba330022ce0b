/**
 * The one HTTP client factory. Every request to Spark or Prometheus goes through here, so the
 * rules of DESIGN.md hold in one place: connect and total timeouts, a size cap, credentials sent
 * only to the origin they were saved for, no redirect across origins, a CA file per source, and
 * errors as typed values with secrets redacted.
 */
import type { AxiosError, AxiosInstance, AxiosResponse } from 'axios';
import * as http from 'node:http';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { redact } from '../model/redaction';

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
 * axios is loaded at the first request, not when the extension loads: evaluating it (its fetch
 * adapter probes pull in Node's undici) was ~20 of the ~35 ms an activation cost (npm run bench),
 * and the first request is made by the store's first poll, after activation.
 */
let axiosModule: Promise<typeof import('axios').default> | undefined;
function loadAxios(): Promise<typeof import('axios').default> {
  axiosModule ??= import('axios').then((m) => m.default);
  return axiosModule;
}

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
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxRedirects = options.maxRedirects ?? 3;
  const ca = options.caFile ? readCa(options.caFile) : undefined;
  // keepAlive: a poll is a handful of requests to one driver every few seconds; reusing the
  // socket keeps our cost on the driver low (DESIGN.md: ≤ 1 % of one core).
  // The agents' socket timeout: Node starts a request's own timeout only once its socket is
  // connected, so a connect that hangs (a full accept queue, a firewall dropping packets) would
  // wait for the total deadline, 3× the setting. It also ends pooled sockets idle that long.
  const agents = (keepAlive: boolean) => ({
    httpAgent: new http.Agent({ keepAlive, maxSockets: keepAlive ? 4 : Infinity, timeout: options.timeoutMs }),
    httpsAgent: new https.Agent({ keepAlive, maxSockets: keepAlive ? 4 : Infinity, ca, timeout: options.timeoutMs }),
  });
  const defaults = {
    timeout: options.timeoutMs,
    maxContentLength: maxBytes,
    maxBodyLength: maxBytes,
    maxRedirects: 0, // we follow same-origin redirects ourselves, below
    responseType: 'text' as const,
    transformResponse: [(d: unknown) => d], // never let axios parse: we tell HTML from JSON
    validateStatus: () => true,
    decompress: true,
    ...agents(true),
    headers: { Accept: 'application/json' },
    proxy: false as const,
  };
  let created: AxiosInstance | undefined;
  const instance = {
    async request<T>(c: Parameters<AxiosInstance['request']>[0]): Promise<AxiosResponse<T>> {
      created ??= (await loadAxios()).create(defaults);
      return created.request<T>(c);
    },
  };

  async function send(method: 'GET' | 'POST' | 'HEAD', path: string, opts: RequestOptions, follow: boolean): Promise<AxiosResponse<string>> {
    let url = joinUrl(baseUrl, path);
    const total = AbortSignal.timeout(options.totalTimeoutMs ?? options.timeoutMs * 3);
    const signal = opts.signal ? AbortSignal.any([opts.signal, total]) : total;
    for (let hop = 0; ; hop++) {
      const sameOrigin = originOf(url) === origin;
      const headers: Record<string, string> = {};
      // Credentials go only to the origin they were saved for, redirects included.
      if (options.credentials && sameOrigin) headers.Authorization = authHeader(options.credentials);
      let body: string | undefined;
      if (opts.form) {
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(opts.form as Record<string, string>).toString();
      }
      const config = { method, url, params: hop === 0 ? cleanParams(opts.params) : undefined, data: body, headers, signal };
      let res: AxiosResponse<string>;
      try {
        res = await instance.request<string>(config);
      } catch (e) {
        // A kept-alive socket the server has since closed fails at once with a reset; the
        // request never reached the server, so one fresh attempt is safe.
        if (!isStaleSocket(e) || signal.aborted) throw toHttpError(e, opts.signal, total);
        try {
          // Other idle sockets in the pool may be just as dead: this attempt opens its own.
          res = await instance.request<string>({ ...config, ...agents(false) });
        } catch (e2) {
          throw toHttpError(e2, opts.signal, total);
        }
      }
      if (!follow || res.status < 300 || res.status >= 400 || !res.headers.location) return res;
      const next = new URL(String(res.headers.location), url).toString();
      if (originOf(next) !== origin) {
        throw new HttpError('redirect', `redirected to another origin (${redact(originOf(next))}); not followed`, res.status);
      }
      if (hop >= maxRedirects) throw new HttpError('redirect', 'too many redirects', res.status);
      url = next;
    }
  }

  async function getText(path: string, opts: RequestOptions = {}): Promise<string> {
    const res = await send(opts.form ? 'POST' : 'GET', path, opts, true);
    const text = typeof res.data === 'string' ? res.data : String(res.data ?? '');
    const ok = (res.status >= 200 && res.status < 300) || (opts.acceptStatus ?? []).includes(res.status);
    if (!ok) {
      const body = text.slice(0, 2000);
      if (res.status === 401 || res.status === 403) throw new HttpError('auth', `HTTP ${res.status}: not authorised`, res.status, body);
      if (res.status === 404) throw new HttpError('notFound', `HTTP 404 for ${redact(path)}`, 404, body);
      throw new HttpError('status', `HTTP ${res.status}`, res.status, body);
    }
    const trimmed = text.trimStart();
    if (trimmed.startsWith('<')) {
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
      const location = res.headers.location ? String(res.headers.location) : undefined;
      return { status: res.status, location };
    },
  };
}

/** JSON text → value; text that does not parse is a `malformed` HttpError. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError('malformed', `malformed JSON (${text.length} bytes)`);
  }
}

function cleanParams(p: RequestOptions['params']): Record<string, string> | undefined {
  if (!p) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined) out[k] = String(v);
  return out;
}

function isStaleSocket(e: unknown): boolean {
  const ax = e as AxiosError;
  const code = ax.code ?? (ax.cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(ax.message ?? '');
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

function toHttpError(e: unknown, userSignal: AbortSignal | undefined, total: AbortSignal): HttpError {
  if (e instanceof HttpError) return e;
  if (userSignal?.aborted) return new HttpError('cancelled', 'cancelled');
  if (total.aborted) return new HttpError('timeout', 'timed out (total)');
  const ax = e as AxiosError;
  const code = ax.code ?? (ax.cause as NodeJS.ErrnoException | undefined)?.code;
  const msg = redact(ax.message ?? String(e));
  if (code === 'ECONNREFUSED') return new HttpError('refused', 'connection refused');
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(msg)) return new HttpError('timeout', 'timed out');
  if (code === 'ERR_BAD_RESPONSE' && /maxContentLength/i.test(msg)) return new HttpError('tooLarge', 'response over the size cap');
  if (/maxContentLength|content length/i.test(msg)) return new HttpError('tooLarge', 'response over the size cap');
  if (code === 'ERR_CANCELED') return new HttpError('cancelled', 'cancelled');
  const tls = certificateError(code, ax.message ?? '');
  if (tls) return tls;
  return new HttpError('network', `${code ?? 'network error'}: ${msg}`);
}
