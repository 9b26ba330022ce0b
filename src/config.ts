/**
 * A typed snapshot of the settings, replaced as a whole when they change (as error-lens does):
 * readers never see half-updated values.
 */
import * as vscode from 'vscode';
import type { SourceKind } from './model/types';
import { normaliseSourceUrl, parsePortList } from './model/ports';

export const SECTION = 'sparkObservatory';

export interface ConfiguredSource {
  readonly name: string;
  readonly url: string;
  readonly kind?: SourceKind;
  readonly caFile?: string;
  readonly group?: string;
}

export interface Config {
  readonly sources: readonly ConfiguredSource[];
  readonly discovery: {
    readonly enabled: boolean;
    readonly driverPorts: readonly number[];
    readonly historyServerPort: number;
    readonly masterPort: number;
    readonly prometheusPort: number;
  };
  readonly refreshIntervalMs: number;
  readonly statusBarIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly historyMaxApplications: number;
  readonly sparkSubmitPath: string;
}

const KINDS: readonly SourceKind[] = ['driver', 'history', 'master', 'prometheus'];

function readSources(raw: unknown): ConfiguredSource[] {
  if (!Array.isArray(raw)) return [];
  const seen = new Set<string>();
  const out: ConfiguredSource[] = [];
  for (const s of raw) {
    if (typeof s !== 'object' || s === null) continue;
    const o = s as Record<string, unknown>;
    const url = typeof o.url === 'string' ? normaliseSourceUrl(o.url) : undefined;
    const name = typeof o.name === 'string' && o.name.trim() ? o.name.trim() : url;
    if (!url || !name || seen.has(name)) continue;
    seen.add(name);
    out.push({
      name,
      url,
      kind: KINDS.includes(o.kind as SourceKind) ? (o.kind as SourceKind) : undefined,
      caFile: typeof o.caFile === 'string' && o.caFile ? o.caFile : undefined,
      group: typeof o.group === 'string' && o.group ? o.group : undefined,
    });
  }
  return out;
}

export function readConfig(): Config {
  const c = vscode.workspace.getConfiguration(SECTION);
  const n = (key: string, dflt: number) => {
    const v = c.get<number>(key, dflt);
    return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
  };
  return {
    sources: readSources(c.get('sources')),
    discovery: {
      enabled: c.get<boolean>('discovery.enabled', true),
      driverPorts: parsePortList(c.get<string>('discovery.driverPorts', '4040-4050')),
      historyServerPort: n('discovery.historyServerPort', 18080),
      masterPort: n('discovery.masterPort', 8080),
      prometheusPort: n('discovery.prometheusPort', 9090),
    },
    refreshIntervalMs: Math.max(1, n('refreshInterval', 3)) * 1000,
    statusBarIntervalMs: Math.max(5, n('statusBarInterval', 30)) * 1000,
    requestTimeoutMs: Math.max(1, n('requestTimeout', 5)) * 1000,
    historyMaxApplications: Math.max(1, Math.floor(n('history.maxApplications', 20))),
    sparkSubmitPath: c.get<string>('sparkSubmitPath', ''),
  };
}

/** Holds the current snapshot and fires when it is replaced. */
export class ConfigHolder implements vscode.Disposable {
  private current = readConfig();
  private readonly emitter = new vscode.EventEmitter<Config>();
  readonly onDidChange = this.emitter.event;
  private readonly sub = vscode.workspace.onDidChangeConfiguration((e) => {
    if (!e.affectsConfiguration(SECTION)) return;
    this.current = readConfig();
    this.emitter.fire(this.current);
  });
  get value(): Config {
    return this.current;
  }
  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
