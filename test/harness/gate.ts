/**
 * A loopback TCP forwarder in front of a real source that a test can shut and open: while shut,
 * connections are accepted and held unanswered, as a source that is slow to answer (a driver
 * busy at start-up, a Prometheus behind a slow proxy); open() forwards them, held ones included.
 * The extension is pointed at `url` instead of the source's own address.
 */
import * as net from 'node:net';

export interface Gate {
  /** http://127.0.0.1:<port>: the source as the extension sees it. */
  readonly url: string;
  shut(): void;
  open(): void;
  /** Closes the listener and every connection. Idempotent. */
  stop(): Promise<void>;
}

export async function startGate(targetUrl: string): Promise<Gate> {
  const target = new URL(targetUrl);
  const upstream = { host: target.hostname, port: Number(target.port || (target.protocol === 'https:' ? 443 : 80)) };
  let isOpen = true;
  const held = new Set<net.Socket>();
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      held.delete(s);
    });
    s.on('error', () => s.destroy());
  };
  const forward = (client: net.Socket) => {
    const up = net.connect(upstream);
    track(up);
    up.on('close', () => client.destroy());
    client.on('close', () => up.destroy());
    client.pipe(up).pipe(client);
  };
  const server = net.createServer((client) => {
    track(client);
    if (isOpen) forward(client);
    else {
      // Paused: what the client sends stays buffered until the gate opens.
      client.pause();
      held.add(client);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    shut() {
      isOpen = false;
    },
    open() {
      isOpen = true;
      for (const c of [...held]) {
        held.delete(c);
        if (!c.destroyed) forward(c);
      }
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return stopped;
    },
  };
}
