/**
 * The last measured effect of each cache call ("Measure Cache Impact"), for the cache lens to
 * show above the call: `cache: −38 % time, +412 MiB storage`. One module-level registry, in
 * memory for the window's life, with a change event; no `vscode` import.
 *
 * Keys are the file's absolute path and the call's 0-based line, as the editor numbers lines.
 */

export interface CacheImpact {
  readonly file: string;
  /** 0-based line of the cache call. */
  readonly line: number;
  /** formatCacheImpact's text, e.g. `cache: −38 % time, +412 MiB storage`. */
  readonly text: string;
  /** Epoch ms when the measurement finished. */
  readonly measuredAt: number;
  /** Runs per variant. */
  readonly runs: number;
  /** Store keys of the runs without the cache (A) and with it (B), to reopen the comparison. */
  readonly keysWithout: readonly string[];
  readonly keysWith: readonly string[];
}

type Listener = (impact: CacheImpact) => void;

export class CacheImpactStore {
  private readonly byCall = new Map<string, CacheImpact>();
  private readonly listeners = new Set<Listener>();

  private static key(file: string, line: number): string {
    return `${file}\u0000${line}`;
  }

  set(impact: CacheImpact): void {
    this.byCall.set(CacheImpactStore.key(impact.file, impact.line), impact);
    for (const l of [...this.listeners]) l(impact);
  }

  /** The last measured effect of the cache call at this file's 0-based line. */
  get(file: string, line: number): CacheImpact | undefined {
    return this.byCall.get(CacheImpactStore.key(file, line));
  }

  onDidChange(l: Listener): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  clear(): void {
    this.byCall.clear();
  }
}

