/**
 * The one way tests wait: on a condition, asked again until it holds or the time is up. Never a
 * fixed sleep, which a slow machine outruns and a fast one wastes.
 */

/**
 * Calls `fn` until it returns a value other than undefined or false, and returns that value;
 * `intervalMs` apart (default 500). An exception counts as "not yet" and is reported when the
 * time is up.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  o: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 90_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${o.what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 500));
  }
}
