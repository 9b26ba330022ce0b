/**
 * One request and its answer over Node's own http/https, with the limits every read needs: an
 * idle timeout (no byte for so long), a total deadline, a cancel signal, and a size cap on what
 * comes over the wire and on what it inflates to. The rules about which requests to make
 * (redirects, credentials, error messages) are http.ts's.
 *
 * Node's modules rather than an HTTP library: a poll in which nothing changed is two small
 * requests, and a library's per-request work (config merging, adapters, signal plumbing) was
 * about a third of that poll's CPU and 52 KB of the bundle (npm run bench, issue 11).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as zlib from 'node:zlib';

export interface ExchangeLimits {
  /** No byte for this long (the socket's idle timeout; the agent's covers the connect). */
  readonly idleMs: number;
  /** Text after inflating, and bytes on the wire, at most this many. */
  readonly maxBytes: number;
  /** The whole exchange, connect to the last byte, at most this long. */
  readonly totalMs: number;
}

export interface ExchangeRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly agent: http.Agent;
}

export interface ExchangeAnswer {
  readonly status: number;
  readonly location?: string;
  readonly text: string;
}

/** Why an exchange ended without an answer, before http.ts turns it into an HttpError. */
export type ExchangeFailure =
  | { readonly why: 'timeout' | 'total' | 'tooLarge' | 'cancelled' }
  /** From the socket or TLS: `code` is Node's or OpenSSL's; `answered` once a status line came. */
  | { readonly why: 'socket'; readonly code?: string; readonly message: string; readonly answered: boolean };

export class ExchangeError extends Error {
  constructor(readonly failure: ExchangeFailure) {
    super(failure.why === 'socket' ? failure.message : failure.why);
  }
}

/**
 * Makes the request; resolves with the status and the inflated text, or rejects with an
 * ExchangeError. The caller's `signal` cancels it; either way the request is destroyed.
 * (One timer and one listener per request: AbortSignal.timeout/any cost more than the rest of
 * a small request's bookkeeping.)
 */
export function exchange(req: ExchangeRequest, limits: ExchangeLimits, signal?: AbortSignal): Promise<ExchangeAnswer> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ExchangeError({ why: 'cancelled' }));
    let settled = false;
    let answered = false;
    const finish = () => {
      settled = true;
      clearTimeout(total);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (f: ExchangeFailure) => {
      if (settled) return;
      finish();
      reject(new ExchangeError(f));
      out.destroy();
    };
    const onAbort = () => fail({ why: 'cancelled' });
    const total = setTimeout(() => fail({ why: 'total' }), limits.totalMs);
    const mod = req.url.protocol === 'https:' ? https : http;
    const out = mod.request(req.url, { method: req.method, headers: req.headers, agent: req.agent, timeout: limits.idleMs });
    signal?.addEventListener('abort', onAbort, { once: true });
    out.on('timeout', () => fail({ why: 'timeout' }));
    out.on('error', (e: NodeJS.ErrnoException) => fail({ why: 'socket', code: e.code, message: e.message, answered }));
    out.on('response', (res) => {
      answered = true;
      const declared = Number(res.headers['content-length']);
      if (declared > limits.maxBytes) return fail({ why: 'tooLarge' });
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limits.maxBytes) return fail({ why: 'tooLarge' });
        chunks.push(c);
      });
      res.on('error', (e: NodeJS.ErrnoException) => fail({ why: 'socket', code: e.code, message: e.message, answered }));
      res.on('end', () => {
        if (settled) return;
        if (!res.complete) return fail({ why: 'socket', code: 'ECONNRESET', message: 'the answer ended early', answered });
        const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
        const done = (text: string) => {
          if (settled) return;
          finish();
          const location = res.headers.location;
          resolve({ status: res.statusCode ?? 0, location: location ? String(location) : undefined, text });
        };
        inflate(String(res.headers['content-encoding'] ?? '').trim().toLowerCase(), raw, limits.maxBytes, (err, text) => {
          if (err) fail(err);
          else done(text);
        });
      });
    });
    out.end(req.body);
  });
}

/**
 * Inflates the body in one call on libuv's thread pool (no stream machinery per answer), with
 * the cap applied to the inflated size.
 */
function inflate(encoding: string, raw: Buffer, maxBytes: number, cb: (err: ExchangeFailure | undefined, text: string) => void): void {
  if (raw.length === 0 || !(encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate' || encoding === 'br')) return cb(undefined, raw.toString('utf8'));
  const done = (e: Error | null, buf: Buffer) => {
    if (!e) return cb(undefined, buf.toString('utf8'));
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') return cb({ why: 'tooLarge' }, '');
    cb({ why: 'socket', code, message: `the answer does not inflate (${e.message})`, answered: true }, '');
  };
  if (encoding === 'br') zlib.brotliDecompress(raw, { maxOutputLength: maxBytes }, done);
  else if (encoding === 'deflate') zlib.inflate(raw, { maxOutputLength: maxBytes }, done);
  else zlib.gunzip(raw, { maxOutputLength: maxBytes }, done);
}
