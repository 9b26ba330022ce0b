/**
 * A fault-injecting proxy in front of a real Spark driver: it passes requests through, or
 * answers with the fault a test sets (`mode`), or stops listening (refused), or leaves its
 * port to a listener whose accept queue is full (a connect that hangs).
 */
import * as http from 'node:http';
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';

export type Mode =
  | 'pass'
  | 'hang' // accepts, never answers
  | 'drip' // answers 200 and then one byte every DRIP_MS, for ever
  | 'html200'
  | 'status401'
  | 'status403'
  | 'malformed'
  | 'truncated'
  | 'redirect' // to another origin
  | 'redirectLoop' // to itself
  | 'oversized'
  | 'endAfterListing'; // answers the application list, then stops listening: the driver ended mid-poll

/** Less than the tests' 1 s idle timeout: only the total timeout can end a drip. */
export const DRIP_MS = 400;

/** Spark's dates: `2026-11-21T07:51:24.981GMT`, and epoch fields in Jackson's `"key" : value` layout. */
const GMT_DATE = /"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})GMT"/g;
const EPOCH_FIELD = /("(?:startTimeEpoch|endTimeEpoch|lastUpdatedEpoch)"\s*:\s*)(\d+)/g;
/** Dates before this are Spark's "none" (endTime -1 of a running attempt): left alone. */
const YEAR_2000 = Date.UTC(2000, 0, 1);

/**
 * The driver's answer as a driver whose clock is `offsetMs` ahead would give it: every date it
 * reports moves, and a running attempt's `duration` (the driver's own now − start) does not.
 */
export function shiftDates(body: string, offsetMs: number): string {
  if (offsetMs === 0) return body;
  const shift = (ms: number) => (ms > YEAR_2000 ? ms + offsetMs : ms);
  return body
    .replace(GMT_DATE, (_m, d: string) => `"${new Date(shift(Date.parse(`${d}Z`))).toISOString().replace('Z', 'GMT')}"`)
    .replace(EPOCH_FIELD, (_m, k: string, v: string) => `${k}${shift(Number(v))}`);
}

/**
 * A listener on `port` whose accept queue is full (backlog 0, filled by two connections it
 * makes to itself, never accepted): a new connection stays in SYN_SENT, as behind a firewall
 * that drops packets. Python, because Node accepts every connection on its own.
 */
const FULL_QUEUE_PY = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(0)
fill = []
for _ in range(2):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(('127.0.0.1', int(sys.argv[1])))
    except BlockingIOError:
        pass
    fill.append(c)
print('ready', flush=True)
sys.stdin.read()
`;

export class FaultProxy {
  mode: Mode = 'pass';
  /** Dates in the driver's answers move by this much (a driver clock that is off). */
  clockOffsetMs = 0;
  port = 0;
  readonly seenAuth: string[] = [];
  /** Paths of the requests that reached the proxy, in order. */
  readonly seenPaths: string[] = [];
  private server: http.Server | undefined;
  private fullQueue: ChildProcessWithoutNullStreams | undefined;
  private readonly hanging = new Set<http.ServerResponse>();
  private readonly drips = new Set<ReturnType<typeof setInterval>>();

  constructor(
    private readonly target: string,
    private readonly redirectTo: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening: the next connection is refused. */
  async close(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
    for (const d of this.drips) clearInterval(d);
    this.drips.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  /** Leaves the port to a listener whose accept queue is full: connecting hangs. */
  async hangConnects(): Promise<void> {
    await this.close();
    const p = spawn('python3', ['-c', FULL_QUEUE_PY, String(this.port)]);
    this.fullQueue = p;
    await new Promise<void>((resolve, reject) => {
      p.stdout.once('data', () => resolve());
      p.once('exit', (code) => reject(new Error(`full-queue listener exited with ${code}`)));
    });
  }

  /** Back to a proxy that answers, on the same port. */
  async restore(): Promise<void> {
    this.mode = 'pass';
    await this.stopFullQueue();
    if (!this.server) await this.listen(this.port);
  }

  /** Stops all it started: its server, a full-queue listener. */
  async shutdown(): Promise<void> {
    await this.stopFullQueue();
    await this.close();
  }

  private async stopFullQueue(): Promise<void> {
    const p = this.fullQueue;
    if (!p) return;
    this.fullQueue = undefined;
    const exited = new Promise((r) => p.once('exit', r));
    p.stdin.end(); // it reads stdin to its end, then exits and frees the port
    await exited;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.seenAuth.push(String(req.headers.authorization ?? ''));
    this.seenPaths.push(String(req.url));
    switch (this.mode) {
      case 'hang':
        this.hanging.add(res); // never answers
        return;
      case 'drip': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('[');
        const d = setInterval(() => res.write(' '), DRIP_MS);
        this.drips.add(d);
        res.on('close', () => {
          clearInterval(d);
          this.drips.delete(d);
        });
        return;
      }
      case 'html200':
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!DOCTYPE html><html><body><form action="/login">Sign in</form></body></html>');
        return;
      case 'status401':
        res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Basic realm="spark"' }).end('Unauthorized');
        return;
      case 'status403':
        res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Forbidden');
        return;
      case 'malformed':
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id": "app-1", "name": ');
        return;
      case 'redirect':
        res.writeHead(302, { Location: `${this.redirectTo}${req.url}` }).end();
        return;
      case 'redirectLoop':
        res.writeHead(302, { Location: String(req.url) }).end();
        return;
      case 'oversized': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const chunk = ' '.repeat(64 * 1024);
        res.write('[');
        for (let i = 0; i < 64; i++) res.write(chunk); // 4 MiB, over the 1 MiB cap used here
        res.end(']');
        return;
      }
    }
    const upstream = await fetch(this.target + req.url, { headers: { Accept: 'application/json' } });
    let body = Buffer.from(await upstream.arrayBuffer());
    if (this.clockOffsetMs) body = Buffer.from(shiftDates(body.toString('utf8'), this.clockOffsetMs));
    if (this.mode === 'truncated') {
      // Promise the whole body, send half, hang up.
      res.writeHead(upstream.status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      res.socket?.destroy();
      return;
    }
    if (this.mode === 'endAfterListing' && /^\/api\/v1\/applications\/?(\?|$)/.test(String(req.url))) {
      // The listing is the last thing this driver answers: every request after it is refused.
      res.on('finish', () => void this.close());
    }
    res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' }).end(body);
  }
}
