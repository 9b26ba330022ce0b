/**
 * Reading ABBA windows (driverLoad.bench.ts): blocks of windows without (A) and with (B) polling,
 * in the order A B B A, so that a slow drift of what is measured cancels out within a block.
 */

/** One window of a process's CPU time. */
export interface CpuWindow {
  /** B: polling during the window. */
  readonly on: boolean;
  /** The A B B A block it belongs to. */
  readonly block: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** Polls made during a B window. */
  readonly polls: number;
}

/**
 * One estimate per B window: its CPU above the mean rate of its own block's A windows, per poll,
 * as % of one core at one poll per `intervalMs`.
 */
export function abbaEstimates(windows: readonly CpuWindow[], intervalMs: number): number[] {
  const out: number[] = [];
  for (const block of new Set(windows.map((w) => w.block))) {
    const ws = windows.filter((w) => w.block === block);
    const off = ws.filter((w) => !w.on);
    const rate = off.reduce((a, w) => a + w.cpuSeconds, 0) / off.reduce((a, w) => a + w.seconds, 0);
    for (const w of ws.filter((x) => x.on)) out.push((((w.cpuSeconds - rate * w.seconds) / Math.max(1, w.polls)) * 1000 * 100) / intervalMs);
  }
  return out;
}
