/**
 * The hook's own record of a run, read back: the file SO_HOOK_EVENTS names holds one JSON object
 * a line (src/launcher/python/spark_observatory_hook.py): "ready" first, with the line that says
 * what is active and the cache calls it was asked to switch off; "disabled" each time it switched
 * one off; "disableNotReached" at exit for a listed call that never ran; "cache", "cacheRdd",
 * "failure".
 *
 * Measure Cache Impact compares a run without a cache call and one with it: that comparison
 * means something only if the hook did switch the call off, which this file decides.
 */
import type { SourceLine } from './datasetNames';
import { baseName } from './callSite';

/** One event; fields beyond `event` depend on its kind. */
export interface HookEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** The events of a file's text; lines that are not JSON objects with an `event` (a write cut short by a kill) are left out. */
export function parseHookEvents(text: string): HookEvent[] {
  const out: HookEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { event?: unknown }).event === 'string') out.push(v as HookEvent);
    } catch {
      /* a partial last line */
    }
  }
  return out;
}

function asSourceLine(v: unknown): SourceLine | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const { file, line } = v as { file?: unknown; line?: unknown };
  return typeof file === 'string' && typeof line === 'number' ? { path: file, line } : undefined;
}

const same = (a: SourceLine, b: SourceLine | undefined) => !!b && a.path === b.path && a.line === b.line;

/** Whether a run switched off every cache call it was asked to, or why not. */
export type SwitchOffOutcome =
  | { readonly ok: true; readonly switchedOff: readonly SourceLine[] }
  | { readonly ok: false; readonly message: string };

/**
 * Decides from a run's events whether the hook switched off the cache calls it was given
 * (SO_DISABLE_CACHE_AT, echoed in its "ready" event). `events` undefined: the file could not be
 * read.
 */
export function cacheSwitchOffOutcome(events: readonly HookEvent[] | undefined): SwitchOffOutcome {
  const ready = events?.find((e) => e.event === 'ready');
  const failure = events?.find((e) => e.event === 'failure');
  const why = failure && typeof failure.error === 'string' ? ` (${String(failure.kind)}: ${failure.error})` : '';
  if (!ready) {
    return { ok: false, message: `the hook did not start (it wrote no "ready" event)${why}, so the cache was not switched off: the two runs would measure the same job` };
  }
  const listed = (Array.isArray(ready.disabled) ? ready.disabled : []).map(asSourceLine).filter((x): x is SourceLine => !!x);
  if (listed.length === 0) {
    const inactive = ready.inactive && typeof ready.inactive === 'object' ? Object.values(ready.inactive as Record<string, unknown>).map(String) : [];
    return { ok: false, message: `the hook was given no cache call to switch off${inactive.length ? ` (${inactive.join('; ')})` : ''}` };
  }
  for (const want of listed) {
    const where = `${baseName(want.path)}:${want.line}`;
    if (events!.some((e) => e.event === 'disabled' && same(want, asSourceLine(e.listed)))) continue;
    if (events!.some((e) => e.event === 'disableNotReached' && same(want, asSourceLine(e)))) {
      return { ok: false, message: `the run never reached a cache call at ${where}, so nothing was switched off: the two runs would measure the same job` };
    }
    return { ok: false, message: `the hook did not report switching off the cache call at ${where}${why} (did the run end before it?)` };
  }
  return { ok: true, switchedOff: listed };
}
