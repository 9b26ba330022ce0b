/**
 * Ties the cache calls of one file to the cached datasets of `/storage/rdd`, and says what a lens
 * over each call shows.
 *
 * Nothing in `/storage/rdd` points at source code (SPARK-FACTS.md), so evidence is taken in
 * order of strength: the hook's names (`df1.cache() at /abs/job.py:18`), table names
 * (`In-memory table t`), names set in code with `setName("x")`, and only then a heuristic —
 * the plan text Spark uses as the name of a `df.cache()` entry against the columns, functions,
 * ranges and paths written near the call. A heuristic match is always marked 'estimated' with
 * its reason; when two datasets fit equally the answer is 'ambiguous' with the candidates, so
 * a lens never shows the number of the wrong dataset.
 *
 * The parts: the evidence of names in datasetNames.ts, the heuristic in cacheHeuristics.ts, what a
 * lens shows in cacheLensState.ts.
 */

import type { CacheCall, PythonScan, SetNameCall } from './cacheScanner';
import { baseName, trailingMatchLength } from './callSite';
import type { ConnectSites } from './connectSites';
import { heuristics } from './cacheHeuristics';
import { classifyDatasetName, HookName, parseHookName, parseTableName, SourceLine, squeeze, TABLE_PREFIX } from './datasetNames';
import type { CachedDataset } from './types';

export type MatchEvidence = 'hookName' | 'tableName' | 'setName' | 'movedHookName' | 'planText' | 'onlyCandidate';

export type CacheMatch =
  | {
      readonly kind: 'matched';
      readonly dataset: CachedDataset;
      readonly confidence: 'exact' | 'estimated';
      readonly evidence: MatchEvidence;
      /** Human-readable, for the hover; says why an estimate was made. */
      readonly reason: string;
      /** Further datasets from the same line (a cache call in a loop), older first. */
      readonly alsoFromThisLine?: readonly CachedDataset[];
      /**
       * A cache call in a helper called from several lines: the newest dataset of each calling
       * line, in the order of the lines. The lens sums them.
       */
      readonly callers?: readonly CallerDataset[];
    }
  | {
      readonly kind: 'ambiguous';
      /** Best first: the order-of-materialisation suggestion leads when there is one. */
      readonly candidates: readonly CachedDataset[];
      readonly reason: string;
    }
  | {
      readonly kind: 'unmatched';
      readonly reason: string;
      /** A cached dataset may well exist, but nothing ties it to this call (Spark Connect): say why, show no figure. */
      readonly unmappable?: boolean;
    };

/** One calling line of a helper's cache call and the dataset it made there. */
export interface CallerDataset extends SourceLine {
  /** Whether the calling line is in the file the lens is in (else another of the user's files). */
  readonly sameFile: boolean;
  readonly dataset: CachedDataset;
}

export interface CallMatch {
  readonly call: CacheCall;
  readonly match: CacheMatch;
}

export interface MatchInput {
  /** The document's path; hook names pointing at another file exclude their datasets. */
  readonly filePath: string;
  /** The document's text, for the heuristic's evidence. */
  readonly text: string;
  readonly scan: PythonScan;
  readonly datasets: readonly CachedDataset[];
  /**
   * Whether a driver-side path is this document. Default: the same file name and, when both
   * have folders, the same trailing path as far as the shorter goes (`/opt/job/seed.py` vs
   * `/home/me/job/seed.py` agree on `job/seed.py`).
   */
  readonly isThisFile?: (driverPath: string) => boolean;
  /**
   * A Spark Connect application's mapping (connectSites.resolveConnectSites): its exact matches
   * arrive as hook names; this adds the calls it could not map, each with its reason. When the
   * Connect hook ran, the plan-text heuristic is not used: a figure is exact or not shown.
   */
  readonly connect?: ConnectSites;
}

/** The default `isThisFile`: same base name; a path mapping in callSite.ts covers the rest. */
export function sameFile(driverPath: string, filePath: string): boolean {
  return baseName(driverPath) !== '' && trailingMatchLength(driverPath, filePath) >= 1;
}

const CACHE_KINDS = new Set(['cache', 'persist']);

/**
 * Matches every cache call of one file to at most one cached dataset (see the file comment for
 * the order of evidence). Results are in the order of `scan.calls`.
 */
export function matchCacheCalls(input: MatchInput): CallMatch[] {
  const calls = input.scan.calls;
  const isThisFile = input.isThisFile ?? ((p: string) => sameFile(p, input.filePath));
  const results = new Map<CacheCall, CacheMatch>();
  const claimed = new Set<CachedDataset>();

  // Sort the datasets out by what their names say.
  const hooked: { ds: CachedDataset; hook: HookName }[] = [];
  const tables: { ds: CachedDataset; table: string }[] = [];
  const open: CachedDataset[] = [];
  for (const ds of input.datasets) {
    const hook = parseHookName(ds.name);
    if (hook) {
      // Another file's dataset is never offered here, nor a library's: its line holds a call
      // into the library, not a cache call.
      if (!hook.library && isThisFile(hook.path)) hooked.push({ ds, hook });
      continue;
    }
    const table = parseTableName(ds.name);
    if (table !== undefined) tables.push({ ds, table });
    else open.push(ds);
  }

  // (a) The hook's names: exact by line (the call's or its statement's), receiver text as tie-break.
  const byCall = new Map<CacheCall, { ds: CachedDataset; hook: HookName }[]>();
  const movedHooks: { ds: CachedDataset; hook: HookName }[] = [];
  for (const h of hooked) {
    const call = callForHook(calls, h.hook);
    if (!call) {
      movedHooks.push(h);
      continue;
    }
    const list = byCall.get(call);
    if (list) list.push(h);
    else byCall.set(call, [h]);
    claimed.add(h.ds);
  }
  for (const [call, list] of byCall) {
    list.sort((a, b) => a.ds.rddId - b.ds.rddId);
    const dataset = list[list.length - 1].ds;
    const callers = callerDatasets(list, isThisFile);
    const shown = new Set(callers ? callers.map((c) => c.dataset) : [dataset]);
    const older = list.map((h) => h.ds).filter((d) => !shown.has(d));
    results.set(call, {
      kind: 'matched', dataset, confidence: 'exact', evidence: 'hookName',
      reason: callers ? `named by the hook after the ${callers.length} lines that called it` : `named by the hook: ${dataset.name}`,
      ...(older.length > 0 ? { alsoFromThisLine: older } : {}),
      ...(callers ? { callers } : {}),
    });
  }

  // (a') Spark Connect: the calls the hook saw whose dataset could not be told, with the reason.
  const connectHooked = (input.connect?.placedJobs ?? 0) > 0;
  for (const site of input.connect?.caches ?? []) {
    if (site.result.kind === 'exact' || !isThisFile(site.path)) continue;
    const hook = parseHookName(`${site.callText} at ${site.path}:${site.line}`);
    const call = hook ? callForHook(calls, hook) : undefined;
    if (!call || results.has(call)) continue;
    const r = site.result;
    if (r.kind === 'ambiguous') {
      const candidates = open.filter((d) => r.rddIds.includes(d.rddId));
      for (const d of candidates) claimed.add(d);
      results.set(call, { kind: 'ambiguous', candidates, reason: `Spark Connect: ${r.reason}` });
    } else {
      results.set(call, { kind: 'unmatched', reason: `Spark Connect: ${r.reason}`, ...(r.kind === 'unmapped' ? { unmappable: true } : {}) });
    }
  }

  // (b) Table names: `In-memory table t`, exact. Two calls caching one table share its entry.
  for (const call of calls) {
    if (results.has(call) || call.tableName === undefined) continue;
    const want = normaliseTable(call.tableName);
    let found = tables.filter((t) => normaliseTable(t.table) === want);
    if (found.length === 0) {
      const last = lastSegment(want);
      found = tables.filter((t) => lastSegment(normaliseTable(t.table)) === last);
    }
    if (found.length === 1) {
      results.set(call, { kind: 'matched', dataset: found[0].ds, confidence: 'exact', evidence: 'tableName', reason: `Spark names it ${found[0].ds.name}` });
      claimed.add(found[0].ds);
    } else if (found.length > 1) {
      results.set(call, { kind: 'ambiguous', candidates: found.map((t) => t.ds), reason: `several cached tables are called ${call.tableName}` });
    } else {
      results.set(call, { kind: 'unmatched', reason: `no cached dataset is named ${TABLE_PREFIX}${call.tableName} yet` });
    }
  }

  // (c) setName("x") on the same chain or the same variable.
  for (const call of calls) {
    if (results.has(call) || !CACHE_KINDS.has(call.kind)) continue;
    const sn = setNameFor(call, input.scan.setNames);
    if (!sn) continue;
    const found = open.filter((d) => d.name === sn.name && !claimed.has(d));
    if (found.length === 1) {
      results.set(call, { kind: 'matched', dataset: found[0], confidence: 'exact', evidence: 'setName', reason: `named "${sn.name}" by setName on line ${sn.line + 1}` });
      claimed.add(found[0]);
    } else if (found.length > 1) {
      results.set(call, { kind: 'ambiguous', candidates: found, reason: `${found.length} cached datasets are named "${sn.name}"` });
      for (const d of found) claimed.add(d);
    }
  }

  // (d) Heuristics, over what is left; under Spark Connect with the hook, what it did not see
  // used is said as such (a DataFrame used only through SQL or a view cannot be seen).
  const rest = calls.filter((c) => !results.has(c) && CACHE_KINDS.has(c.kind));
  if (connectHooked) {
    const unclaimed = open.filter((d) => !claimed.has(d) && classifyDatasetName(d.name) === 'plan');
    for (const c of rest) {
      results.set(c, unclaimed.length === 0
        ? { kind: 'unmatched', reason: 'no action of this application has used this cached DataFrame yet' }
        : {
            kind: 'unmatched', unmappable: true,
            reason: `Spark Connect: no action was seen using this DataFrame (a use through SQL, a view or an equal plan built anew cannot be seen), and ${unclaimed.length} cached dataset${unclaimed.length > 1 ? 's are' : ' is'} not tied to any line`,
          });
    }
  } else if (rest.length > 0) {
    heuristics(rest, open.filter((d) => !claimed.has(d)), movedHooks, input.text, results);
  }

  return calls.map((call) => ({ call, match: results.get(call) ?? { kind: 'unmatched', reason: 'no cached dataset for this call yet' } }));
}

/**
 * The newest dataset of each line that called a helper's cache call, when there are two such
 * lines or more (one calling line is the plain case); datasets oldest first in.
 */
function callerDatasets(list: readonly { ds: CachedDataset; hook: HookName }[], isThisFile: (p: string) => boolean): CallerDataset[] | undefined {
  const newest = new Map<string, CallerDataset>();
  for (const { ds, hook } of list) {
    if (!hook.caller) continue;
    newest.set(`${hook.caller.path}:${hook.caller.line}`, { ...hook.caller, sameFile: isThisFile(hook.caller.path), dataset: ds });
  }
  if (newest.size < 2) return undefined;
  return [...newest.values()].sort((a, b) => Number(b.sameFile) - Number(a.sameFile) || a.path.localeCompare(b.path) || a.line - b.line);
}

/** The call a hook name points at: the line is the call's own or its statement's (Python versions differ). */
function callForHook(calls: readonly CacheCall[], hook: HookName): CacheCall | undefined {
  const line0 = hook.line - 1;
  const onLine = calls.filter((c) => c.kind === hook.method && line0 >= c.statementLine && line0 <= c.line);
  if (onLine.length <= 1) return onLine[0];
  const receiver = squeeze(hook.receiver);
  const same = onLine.filter((c) => squeeze(c.receiver) === receiver);
  if (same.length === 1) return same[0];
  const exactLine = onLine.filter((c) => c.line === line0);
  return exactLine.length === 1 ? exactLine[0] : undefined;
}


function normaliseTable(t: string): string {
  return t.replace(/`/g, '').trim().toLowerCase();
}

function lastSegment(t: string): string {
  return t.slice(t.lastIndexOf('.') + 1);
}

/** The root variable of a receiver: `df1` for `df1.select(...)`, undefined for `spark.range(...)`-like chains. */
function rootName(expr: string): string | undefined {
  const m = /^([A-Za-z_]\w*)/.exec(expr);
  return m ? m[1] : undefined;
}

function setNameFor(call: CacheCall, setNames: readonly SetNameCall[]): SetNameCall | undefined {
  const same = setNames.filter((s) => s.statementLine === call.statementLine && s.line <= call.line);
  if (same.length > 0) return same[same.length - 1];
  const names = new Set([rootName(call.receiver), call.target].filter((x): x is string => !!x));
  let best: SetNameCall | undefined;
  for (const s of setNames) {
    const sNames = [rootName(s.receiver), s.target];
    if (!sNames.some((x) => x !== undefined && names.has(x))) continue;
    if (!best || Math.abs(s.line - call.line) < Math.abs(best.line - call.line)) best = s;
  }
  return best;
}
