/**
 * When a failure is worth a line in the log. A source or an application that keeps failing
 * with the same message is one line, not one per poll; one that flaps (fails, answers, fails
 * again with the same message) is one line too, not one per failure. A different message is a
 * new line, and so is the same message after the thing stayed healthy for a while: that is a
 * new outage, not the old one flapping.
 */

/** Healthy this long: its next failure is news again. Many polls at any interval the settings allow. */
export const QUIET_MS = 5 * 60_000;

export class FailureLog {
  private readonly last = new Map<string, { message: string; okSince?: number }>();

  constructor(private readonly quietMs = QUIET_MS) {}

  /** `key` failed with `message` at `now`; true when that is worth logging. */
  failed(key: string, message: string, now: number): boolean {
    const l = this.last.get(key);
    const news = !l || l.message !== message || (l.okSince !== undefined && now - l.okSince >= this.quietMs);
    this.last.set(key, { message });
    return news;
  }

  /** `key` answered at `now`. */
  ok(key: string, now: number): void {
    const l = this.last.get(key);
    if (l && l.okSince === undefined) this.last.set(key, { message: l.message, okSince: now });
  }

  /** `key` is gone (a source removed, an application no source lists), and the keys under it (`key|…`). */
  forget(key: string): void {
    for (const k of [...this.last.keys()]) if (k === key || k.startsWith(`${key}|`)) this.last.delete(k);
  }

  /** Everything may have changed (new settings): every next failure is news. */
  clear(): void {
    this.last.clear();
  }
}
