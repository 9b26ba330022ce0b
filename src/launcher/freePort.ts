/**
 * A free TCP port on loopback, taken from a list (the discovery range 4040–4050 first, so local
 * discovery finds the driver). Checked by binding it for a moment; Spark itself moves to the next
 * port when one is taken meanwhile, and the runner reads the port Spark really bound.
 */
import { createServer } from 'node:net';

export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** The first free port of `ports`, in order; undefined when all are taken. */
export async function firstFreePort(ports: readonly number[], host = '127.0.0.1'): Promise<number | undefined> {
  for (const p of ports) if (await portFree(p, host)) return p;
  return undefined;
}

/** Any free port the kernel hands out. */
export function anyFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host }, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
