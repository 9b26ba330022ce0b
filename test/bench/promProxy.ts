/**
 * A counting HTTP proxy in front of the real Prometheus: every request of a bench goes through it,
 * so bytes are counted on the wire, the same way for our dashboard and for the Grafana
 * dashboards' queries. Per request: the bytes sent (URL path and query + body), the bytes
 * received (response body as sent, gzip included when the client asked for it), the decoded
 * size, and for range queries the number of series and of samples per series.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync, brotliDecompressSync } from 'node:zlib';

export interface ProxiedRequest {
  readonly tag: string;
  readonly path: string;
  readonly status: number;
  readonly sentBytes: number;
  readonly receivedBytes: number;
  readonly decodedBytes: number;
  /** query_range answers: series returned and the most samples in one series. */
  readonly series?: number;
  readonly maxPoints?: number;
  readonly query?: string;
  readonly step?: number;
}

export interface PromProxy {
  readonly url: string;
  readonly log: ProxiedRequest[];
  /** Requests from now on carry this tag. */
  tag(t: string): void;
  close(): Promise<void>;
}

function decode(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').toLowerCase()) {
    case 'gzip':
      return gunzipSync(body);
    case 'deflate':
      return inflateSync(body);
    case 'br':
      return brotliDecompressSync(body);
    default:
      return body;
  }
}

export async function startPromProxy(upstream: string): Promise<PromProxy> {
  const up = new URL(upstream);
  const log: ProxiedRequest[] = [];
  let current = '';
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const tag = current;
    const reqChunks: Buffer[] = [];
    req.on('data', (c: Buffer) => reqChunks.push(c));
    req.on('end', () => {
      const reqBody = Buffer.concat(reqChunks);
      const headers = { ...req.headers, host: up.host };
      const out = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers, agent }, (pres) => {
        const chunks: Buffer[] = [];
        pres.on('data', (c: Buffer) => chunks.push(c));
        pres.on('end', () => {
          const body = Buffer.concat(chunks);
          res.writeHead(pres.statusCode ?? 502, pres.headers);
          res.end(body);
          const u = new URL(req.url ?? '/', 'http://x');
          const form = new URLSearchParams(reqBody.toString('utf8'));
          const query = form.get('query') ?? u.searchParams.get('query') ?? u.searchParams.get('match[]') ?? undefined;
          const stepText = form.get('step') ?? u.searchParams.get('step');
          let decodedBytes = body.length;
          let series: number | undefined;
          let maxPoints: number | undefined;
          try {
            const decoded = decode(body, pres.headers['content-encoding'] as string | undefined);
            decodedBytes = decoded.length;
            if (u.pathname.endsWith('/query_range')) {
              const j = JSON.parse(decoded.toString('utf8')) as { data?: { result?: { values?: unknown[] }[] } };
              const result = j.data?.result ?? [];
              series = result.length;
              maxPoints = result.reduce((m, r) => Math.max(m, r.values?.length ?? 0), 0);
            }
          } catch {
            /* not JSON (an error page): sizes only */
          }
          log.push({
            tag,
            path: u.pathname,
            status: pres.statusCode ?? 0,
            sentBytes: Buffer.byteLength(req.url ?? '') + reqBody.length,
            receivedBytes: body.length,
            decodedBytes,
            series,
            maxPoints,
            query,
            step: stepText ? Number(stepText) : undefined,
          });
        });
      });
      out.on('error', (e) => {
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`proxy: ${e.message}`);
      });
      out.end(reqBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    tag: (t) => (current = t),
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
