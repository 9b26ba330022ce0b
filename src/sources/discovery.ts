/**
 * Finds the endpoints to read: the configured ones (kind detected by probing when not given)
 * and, when discovery is on, local ones on loopback: drivers on 4040–4050, a History Server,
 * a standalone Master and Prometheus on their usual ports.
 */
import { HttpClient, HttpError } from './http';
import { looksLikeMaster } from './sparkMaster';
import { isObject } from './parse';
import type { SourceConfig, SourceKind } from '../model/types';

export interface DiscoverySettings {
  readonly enabled: boolean;
  readonly driverPorts: readonly number[];
  readonly historyServerPort: number;
  readonly masterPort: number;
  readonly prometheusPort: number;
}

export type ClientFactory = (source: { url: string; caFile?: string; id: string }, timeoutMs: number) => HttpClient | Promise<HttpClient>;

/**
 * Tells a driver from a History Server: both serve `/api/v1/applications`, but a driver's UI
 * root redirects to `/jobs/` while the History Server's root is its own page.
 */
async function driverOrHistory(http: HttpClient, signal?: AbortSignal): Promise<SourceKind> {
  const root = await http.head('', { signal });
  return root.status >= 300 && root.status < 400 && /\/jobs\/?$/.test(root.location ?? '') ? 'driver' : 'history';
}

/** Probes what an endpoint is. Undefined when it answers none of the four ways. */
export async function detectKind(http: HttpClient, signal?: AbortSignal): Promise<SourceKind | undefined> {
  const attempts: Array<() => Promise<SourceKind | undefined>> = [
    async () => (Array.isArray(await http.getJson('api/v1/applications', { params: { limit: 1 }, signal })) ? driverOrHistory(http, signal) : undefined),
    async () => {
      const b = await http.getJson('api/v1/status/buildinfo', { signal });
      return isObject(b) && b.status === 'success' ? 'prometheus' : undefined;
    },
    async () => (looksLikeMaster(await http.getJson('json', { signal })) ? 'master' : undefined),
  ];
  let lastError: unknown;
  for (const attempt of attempts) {
    try {
      const kind = await attempt();
      if (kind) return kind;
    } catch (e) {
      // Nothing listening: no point trying the other paths.
      if (e instanceof HttpError && (e.kind === 'refused' || e.kind === 'timeout' || e.kind === 'cancelled')) throw e;
      lastError = e;
    }
  }
  if (lastError instanceof HttpError && lastError.kind === 'auth') throw lastError;
  return undefined;
}

/** The loopback ports discovery looks at, each once, in order. */
export function discoveryPorts(settings: DiscoverySettings): number[] {
  if (!settings.enabled) return [];
  const all = [...settings.driverPorts, settings.historyServerPort, settings.masterPort, settings.prometheusPort].filter((p) => p > 0);
  return [...new Set(all)];
}

/**
 * What answers on one loopback port, as a discovered source; undefined when nothing does. A
 * closed loopback port refuses at once; an open one may belong to a driver too busy (GC, a
 * cross join on every core) to answer quickly, so it gets the full timeout.
 */
export async function probeLocalPort(port: number, makeClient: ClientFactory, signal?: AbortSignal, timeoutMs = 5000): Promise<SourceConfig | undefined> {
  const url = `http://127.0.0.1:${port}`;
  const id = `local:${port}`;
  try {
    const kind = await detectKind(await makeClient({ url, id }, timeoutMs), signal);
    return kind ? { id, name: `${kind === 'driver' ? 'driver' : kind} :${port}`, url, kind, origin: 'discovered' } : undefined;
  } catch {
    return undefined;
  }
}
