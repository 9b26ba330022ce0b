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
 */

import type { CacheCall, PythonScan, SetNameCall } from './cacheScanner';
import { baseName, splitCallSite, trailingMatchLength } from './callSite';
import type { ConnectSites } from './connectSites';
import type { CachedDataset, Executor } from './types';

// ---------------------------------------------------------------------------------------------
// Names

/** A line of a file, as the driver saw its path. */
export interface SourceLine {
  readonly path: string;
  /** 1-based. */
  readonly line: number;
}

/** A cached dataset's name as the extension's Python hook sets it. */
export interface HookName extends SourceLine {
  /** `df1.cache()`, `df.persist(StorageLevel.DISK_ONLY)`. */
  readonly callText: string;
  /** The expression before `.cache(`/`.persist(`. */
  readonly receiver: string;
  readonly method: 'cache' | 'persist';
  /**
   * The line of the user's files that called the function holding the cache call (a helper
   * called from several lines caches one dataset per calling line).
   */
  readonly caller?: SourceLine;
  /**
   * The module the cache call is written in when it is library code (site-packages): the
   * dataset is then placed on `path:line`, the user's line that led there, which holds no
   * cache call of its own.
   */
  readonly library?: string;
}

const CALLED_FROM = ' called from ';
const LIBRARY = / in ([A-Za-z_?][\w.?]*)$/;

/** `<path>:<line>`, the last `:` before digits ending the path. */
function sourceLine(text: string): SourceLine | undefined {
  const m = /^(.+):(\d+)$/.exec(text);
  return m ? { path: m[1], line: Number(m[2]) } : undefined;
}

/**
 * Parses the hook's name contract, line 1-based:
 *
 *     <receiver>.cache() at <path>:<line>
 *     <receiver>.persist(<args>) at <path>:<line>
 *     … at <path>:<line> called from <path>:<line>      the cache call is in a helper
 *     <receiver>.cache() in <module> at <path>:<line>    the cache call is in library code
 *
 * Undefined for any other name (plans, tables, class names, user `setName`s).
 */
export function parseHookName(name: string): HookName | undefined {
  let head = name.trim();
  let caller: SourceLine | undefined;
  const c = head.lastIndexOf(CALLED_FROM);
  if (c > 0) {
    caller = sourceLine(head.slice(c + CALLED_FROM.length));
    if (caller) head = head.slice(0, c);
  }
  const site = splitCallSite(head);
  if (!site || site.line <= 0) return undefined;
  let text = site.fn;
  let library: string | undefined;
  const lib = LIBRARY.exec(text);
  if (lib && /\.(?:cache\(\)|persist\(.*\))$/.test(text.slice(0, lib.index))) {
    library = lib[1];
    text = text.slice(0, lib.index);
  }
  const extra = { ...(caller ? { caller } : {}), ...(library ? { library } : {}) };
  if (text.endsWith('.cache()')) {
    return { callText: text, receiver: text.slice(0, -'.cache()'.length), method: 'cache', path: site.path, line: site.line, ...extra };
  }
  const p = text.lastIndexOf('.persist(');
  if (p > 0 && text.endsWith(')')) {
    return { callText: text, receiver: text.slice(0, p), method: 'persist', path: site.path, line: site.line, ...extra };
  }
  return undefined;
}

const TABLE_PREFIX = 'In-memory table ';

/** `In-memory table t` → `t` (what cacheTable and CACHE TABLE name their entry); else undefined. */
export function parseTableName(name: string): string | undefined {
  return name.startsWith(TABLE_PREFIX) ? name.slice(TABLE_PREFIX.length).trim() : undefined;
}

/** What a cached dataset's name tells about where it came from. */
export type DatasetNameKind = 'hook' | 'table' | 'plan' | 'rddClass' | 'custom';

const PLAN_START = /^(?:\*\(\d+\) )?(?:Range \(|FileScan |Scan |LocalTableScan|Project \[|Filter |HashAggregate|SortAggregate|ObjectHashAggregate|Exchange |Sort \[|SortMergeJoin|BroadcastHashJoin|ShuffledHashJoin|BroadcastNestedLoopJoin|CartesianProduct|Union|Window |Generate |Expand |InMemoryTableScan|InMemoryRelation|BatchEvalPython|ArrowEvalPython|MapInPandas|FlatMapGroupsInPandas|AdaptiveSparkPlan|Coalesce |Sample |Deduplicate|Relation )/;

/**
 * Classifies a dataset name: the hook's, a table's, a physical plan (df.cache() names its entry
 * with the plan text, cut to 1024 characters), an RDD class name (`PythonRDD`: an unnamed
 * `rdd.cache()`), or anything else, which can only be a user's `setName`.
 */
export function classifyDatasetName(name: string): DatasetNameKind {
  if (parseHookName(name)) return 'hook';
  if (name.startsWith(TABLE_PREFIX)) return 'table';
  if (/^[A-Z][A-Za-z0-9]*RDD$/.test(name)) return 'rddClass';
  if (name.includes('\n+- ') || name.includes('\n:- ') || PLAN_START.test(name) || /\b[A-Za-z_]\w*#\d+L?\b/.test(name)) return 'plan';
  return 'custom';
}

// ---------------------------------------------------------------------------------------------
// Storage levels

/**
 * Spark's `StorageLevel.description` for PySpark's constants. PySpark's own constants are
 * serialized (Python data is pickled), except MEMORY_AND_DISK_DESER; `DataFrame.cache()` and
 * `persist()` use the JVM's MEMORY_AND_DISK (deserialized), `RDD.cache()` PySpark's MEMORY_ONLY.
 */
export const STORAGE_LEVEL_DESCRIPTIONS: Readonly<Record<string, string>> = {
  DISK_ONLY: 'Disk Serialized 1x Replicated',
  DISK_ONLY_2: 'Disk Serialized 2x Replicated',
  DISK_ONLY_3: 'Disk Serialized 3x Replicated',
  MEMORY_ONLY: 'Memory Serialized 1x Replicated',
  MEMORY_ONLY_2: 'Memory Serialized 2x Replicated',
  MEMORY_AND_DISK: 'Disk Memory Serialized 1x Replicated',
  MEMORY_AND_DISK_2: 'Disk Memory Serialized 2x Replicated',
  MEMORY_AND_DISK_DESER: 'Disk Memory Deserialized 1x Replicated',
  OFF_HEAP: 'Disk Memory (off heap) Serialized 1x Replicated',
};

const DATAFRAME_DEFAULT_LEVEL = 'Disk Memory Deserialized 1x Replicated';
const RDD_DEFAULT_LEVEL = 'Memory Serialized 1x Replicated';

function normaliseLevel(level: string): string {
  return level.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * The storage levels (Spark's descriptions) a call can produce; undefined when any is possible
 * (a level built by hand, a constant we do not know). Without types the scanner cannot tell a
 * DataFrame from an RDD, so `.cache()` allows both defaults.
 */
export function possibleStorageLevels(call: CacheCall): readonly string[] | undefined {
  switch (call.kind) {
    case 'cacheTable':
    case 'sqlCacheTable':
      return [DATAFRAME_DEFAULT_LEVEL];
    case 'cache':
      return [DATAFRAME_DEFAULT_LEVEL, RDD_DEFAULT_LEVEL];
    case 'persist': {
      if (call.storageLevelArg === undefined) return [DATAFRAME_DEFAULT_LEVEL, RDD_DEFAULT_LEVEL];
      const d = call.storageLevel !== undefined ? STORAGE_LEVEL_DESCRIPTIONS[call.storageLevel] : undefined;
      if (d === undefined) return undefined;
      // A JVM-side constant of the same name is deserialized where PySpark's is not.
      return [d, d.replace('Serialized', 'Deserialized')];
    }
  }
}

function levelCompatible(call: CacheCall, ds: CachedDataset): boolean {
  const allowed = possibleStorageLevels(call);
  if (!allowed || !ds.storageLevel) return true;
  const level = normaliseLevel(ds.storageLevel);
  return allowed.some((a) => normaliseLevel(a) === level);
}

// ---------------------------------------------------------------------------------------------
// Matching

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

function squeeze(s: string): string {
  return s.replace(/\s+/g, '').replace(/…$/, '');
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

/** One piece of evidence a plan text can confirm. */
interface Clue {
  readonly key: string;
  readonly weight: number;
  readonly test: (plan: PlanFacts) => boolean;
  readonly say: string;
}

interface PlanFacts {
  readonly text: string;
  readonly lower: string;
  readonly columns: ReadonlySet<string>;
}

function planFacts(name: string): PlanFacts {
  const columns = new Set<string>();
  for (const m of name.matchAll(/([A-Za-z_]\w*)#\d+L?/g)) columns.add(m[1]);
  return { text: name, lower: name.toLowerCase(), columns };
}

/** Functions whose names appear in plans as written (`randn(7)`), worth a clue. */
const NOT_IN_PLANS = new Set(['col', 'lit', 'expr', 'column', 'alias', 'select', 'withColumn', 'withColumnRenamed', 'filter',
  'where', 'groupBy', 'agg', 'join', 'crossJoin', 'cache', 'persist', 'read', 'load', 'option', 'options', 'format', 'print',
  'range', 'createDataFrame', 'parallelize', 'toDF', 'orderBy', 'sort', 'limit', 'show', 'count', 'collect', 'repartition',
  'coalesce', 'union', 'unionByName', 'distinct', 'drop', 'table', 'sql', 'len', 'int', 'str', 'float', 'list', 'dict']);

/**
 * What the code near a call says its dataset holds: string literals (column names, paths,
 * tables), functions that appear in plans, `range(...)` bounds, `createDataFrame`. Read from the
 * call's statement and, up to three levels, the statements that assigned the variables it uses.
 */
function cluesFor(call: CacheCall, lines: readonly string[]): Clue[] {
  const text = relatedText(call, lines);
  const clues = new Map<string, Clue>();
  const add = (c: Clue): void => {
    if (!clues.has(c.key)) clues.set(c.key, c);
  };
  for (const m of text.matchAll(/"([^"\\\n]{1,200})"|'([^'\\\n]{1,200})'/g)) {
    const lit = m[1] ?? m[2];
    if (/^[A-Za-z_]\w*$/.test(lit)) {
      add({ key: `col:${lit}`, weight: 2, test: (p) => p.columns.has(lit), say: `column ${lit}` });
    } else if (/[/\\]|\.(?:parquet|csv|json|orc|avro|txt|delta)$/i.test(lit)) {
      const file = baseName(lit.replace(/[/\\]+$/, ''));
      if (file.length >= 3) add({ key: `path:${file}`, weight: 3, test: (p) => p.text.includes(file), say: `source ${file}` });
    }
  }
  for (const m of text.matchAll(/\b([A-Za-z_]\w*)\s*\(([^()\n]{0,80})\)/g)) {
    const fn = m[1];
    const args = m[2].replace(/\s+/g, '').replace(/_/g, '');
    if (fn === 'range') {
      const nums = args.split(',').filter((a) => /^\d+$/.test(a));
      if (nums.length >= 1 && nums.length === args.split(',').length) {
        const [a, b] = nums.length === 1 ? ['0', nums[0]] : [nums[0], nums[1]];
        const want = `Range (${a}, ${b},`;
        add({ key: `range:${a}:${b}`, weight: 3, test: (p) => p.text.includes(want), say: `Range (${a}, ${b})` });
      }
      continue;
    }
    if (fn === 'createDataFrame' || fn === 'parallelize') {
      add({ key: 'rows', weight: 0.5, test: (p) => /Scan ExistingRDD|LocalTableScan|PythonRDD/.test(p.text), say: 'rows from Python' });
      continue;
    }
    if (NOT_IN_PLANS.has(fn) || fn.length < 3) continue;
    const lowerFn = fn.toLowerCase();
    if (/^-?\d+(?:\.\d+)?$/.test(args) || /^seed=\d+$/.test(args)) {
      const seed = args.replace('seed=', '');
      add({ key: `call:${lowerFn}(${seed})`, weight: 2, test: (p) => p.lower.includes(`${lowerFn}(${seed})`), say: `${fn}(${seed})` });
    } else {
      add({ key: `fn:${lowerFn}`, weight: 1, test: (p) => p.lower.includes(`${lowerFn}(`), say: `${fn}()` });
    }
  }
  return [...clues.values()];
}

/** The call's statement plus the statements that assigned the names it uses, three levels deep. */
function relatedText(call: CacheCall, lines: readonly string[]): string {
  const parts: string[] = [statementText(lines, call.statementLine, call.line)];
  const seen = new Set<string>();
  let frontier = namesIn(call.receiver);
  for (let level = 0; level < 3 && frontier.length > 0; level++) {
    const next: string[] = [];
    for (const name of frontier) {
      if (seen.has(name)) continue;
      seen.add(name);
      const at = lastAssignment(lines, name, call.statementLine);
      if (at === undefined) continue;
      const st = statementText(lines, at, at);
      parts.push(st);
      next.push(...namesIn(st.slice(st.indexOf('=') + 1)));
    }
    frontier = next;
  }
  return parts.join('\n');
}

const SKIP_NAMES = new Set(['spark', 'sc', 'F', 'functions', 'self', 'sqlContext', 'pyspark', 'StorageLevel', 'True', 'False', 'None']);

function namesIn(expr: string): string[] {
  const out: string[] = [];
  // Identifiers not preceded by a dot or inside quotes: roots of expressions.
  const clean = expr.replace(/"[^"\n]*"|'[^'\n]*'/g, '""');
  for (const m of clean.matchAll(/(^|[^.\w])([A-Za-z_]\w*)/g)) {
    if (!SKIP_NAMES.has(m[2])) out.push(m[2]);
  }
  return out;
}

/** The last line before `before` that assigns `name` at the start of a statement (`name = ...`). */
function lastAssignment(lines: readonly string[], name: string, before: number): number | undefined {
  const re = new RegExp(`^\\s*${name}\\s*(?::[^=]*)?=(?!=)`);
  for (let i = before - 1; i >= 0 && i >= before - 2000; i--) {
    if (lines[i].length > name.length && lines[i].includes(name) && re.test(lines[i])) return i;
  }
  return undefined;
}

/** Lines `from`..`to`, extended while brackets stay open or a line ends in a backslash (30 lines at most). */
function statementText(lines: readonly string[], from: number, to: number): string {
  let depth = 0;
  let out = '';
  for (let i = from; i < lines.length && i < from + 30; i++) {
    const l = lines[i];
    out += `${l}\n`;
    for (const ch of l.replace(/#.*$/, '')) {
      if (ch === '(' || ch === '[' || ch === '{') depth++;
      else if (ch === ')' || ch === ']' || ch === '}') depth--;
    }
    if (i >= to && depth <= 0 && !l.trimEnd().endsWith('\\')) break;
  }
  return out;
}

interface Scored {
  readonly score: number;
  readonly says: readonly string[];
}

function score(clues: readonly Clue[], plan: PlanFacts): Scored {
  let s = 0;
  const says: string[] = [];
  for (const c of clues) {
    if (c.test(plan)) {
      s += c.weight;
      says.push(c.say);
    }
  }
  return { score: s, says };
}

function heuristics(
  calls: readonly CacheCall[],
  datasets: readonly CachedDataset[],
  movedHooks: readonly { ds: CachedDataset; hook: HookName }[],
  text: string,
  results: Map<CacheCall, CacheMatch>,
): void {
  let remainingCalls = [...calls];
  const taken = new Set<CachedDataset>();

  // A hook name for this file whose line no longer fits (the file changed since the run):
  // the same receiver text on a unique call of the same method is a strong estimate.
  for (const h of movedHooks) {
    const want = squeeze(h.hook.receiver);
    const same = remainingCalls.filter((c) => c.kind === h.hook.method && squeeze(c.receiver) === want);
    if (same.length === 1) {
      results.set(same[0], {
        kind: 'matched', dataset: h.ds, confidence: 'estimated', evidence: 'movedHookName',
        reason: `named by the hook for line ${h.hook.line}; the file has changed since that run`,
      });
      taken.add(h.ds);
      remainingCalls = remainingCalls.filter((c) => c !== same[0]);
    }
  }

  let remaining = datasets.filter((d) => !taken.has(d) && classifyDatasetName(d.name) !== 'custom');
  if (remainingCalls.length === 0) return;
  const lines = text.split('\n');
  const clues = new Map(remainingCalls.map((c) => [c, cluesFor(c, lines)] as const));
  const facts = new Map(remaining.map((d) => [d, planFacts(d.name)] as const));
  const scoreOf = (c: CacheCall, d: CachedDataset): Scored =>
    levelCompatible(c, d) ? score(clues.get(c) ?? [], facts.get(d) ?? planFacts(d.name)) : { score: -1, says: [] };

  // Mutual unique best pairs with positive scores, repeated until none is left.
  for (;;) {
    const pairs: [CacheCall, CachedDataset, Scored][] = [];
    for (const c of remainingCalls) {
      const scored = remaining.map((d) => [d, scoreOf(c, d)] as const);
      const top = Math.max(0, ...scored.map(([, s]) => s.score));
      if (top <= 0) continue;
      const best = scored.filter(([, s]) => s.score === top);
      if (best.length !== 1) continue;
      const [d, s] = best[0];
      const rivals = remainingCalls.filter((o) => o !== c && scoreOf(o, d).score >= top);
      if (rivals.length === 0) pairs.push([c, d, s]);
    }
    if (pairs.length === 0) break;
    for (const [c, d, s] of pairs) {
      results.set(c, {
        kind: 'matched', dataset: d, confidence: 'estimated', evidence: 'planText',
        reason: `estimated: the plan of rdd ${d.rddId} mentions ${s.says.join(', ')} like the code of this call`,
      });
    }
    const done = new Set(pairs.map(([c]) => c));
    const used = new Set(pairs.map(([, d]) => d));
    remainingCalls = remainingCalls.filter((c) => !done.has(c));
    remaining = remaining.filter((d) => !used.has(d));
  }

  // What no clue separates: one call and one dataset left is an estimate; anything more is
  // ambiguous, with the order of materialisation (rdd ids ascend, calls in source order) as
  // the suggested first candidate only.
  const compatible = new Map(remainingCalls.map((c) => [c, remaining.filter((d) => levelCompatible(c, d))] as const));
  const byOrder = [...remaining].sort((a, b) => a.rddId - b.rddId);
  remainingCalls.forEach((c, rank) => {
    const cands = compatible.get(c) ?? [];
    if (cands.length === 0) {
      results.set(c, { kind: 'unmatched', reason: 'no cached dataset for this call yet (not materialised, or not reached)' });
      return;
    }
    const contested = remainingCalls.some((o) => o !== c && (compatible.get(o) ?? []).some((d) => cands.includes(d)));
    if (cands.length === 1 && !contested) {
      results.set(c, {
        kind: 'matched', dataset: cands[0], confidence: 'estimated', evidence: 'onlyCandidate',
        reason: `estimated: rdd ${cands[0].rddId} is the only cached dataset of this application left for this call`,
      });
      return;
    }
    // The top-scoring candidates only (a clue that ruled some out still counts).
    const scored = cands.map((d) => [d, scoreOf(c, d).score] as const);
    const top = Math.max(...scored.map(([, s]) => s));
    const best = scored.filter(([, s]) => s === top).map(([d]) => d);
    const suggested = remainingCalls.length === byOrder.length ? byOrder[rank] : undefined;
    const ordered = suggested && best.includes(suggested) ? [suggested, ...best.filter((d) => d !== suggested)] : best.sort((a, b) => a.rddId - b.rddId);
    results.set(c, {
      kind: 'ambiguous', candidates: ordered,
      reason: `${ordered.length} cached datasets fit this call equally${suggested && ordered[0] === suggested ? `; by order of materialisation rdd ${suggested.rddId} is the likelier` : ''}`,
    });
  });
}

// ---------------------------------------------------------------------------------------------
// What a lens shows

export type CachedDatasetState = 'notMaterialised' | 'partial' | 'spilled' | 'full';

/**
 * The state of a matched dataset: no partition cached yet; partly cached (evicted from a
 * memory-only level, or only some partitions computed, e.g. by `take`); spilled (a level with
 * memory that also holds bytes on disk); or full. A DISK_ONLY dataset on disk is full.
 */
export function cachedDatasetState(ds: CachedDataset): CachedDatasetState {
  if (ds.numCachedPartitions <= 0) return 'notMaterialised';
  if (ds.numCachedPartitions < ds.numPartitions) return 'partial';
  if (ds.diskUsed > 0 && /memory/i.test(ds.storageLevel)) return 'spilled';
  return 'full';
}

export interface CacheFigures {
  readonly rddId: number;
  readonly memoryUsed: number;
  readonly diskUsed: number;
  readonly numCachedPartitions: number;
  readonly numPartitions: number;
  readonly storageLevel: string;
  /** memoryUsed / Σ maxMemory of the active executors (the driver included, as Spark's UI adds it); undefined without executors. */
  readonly storageShare?: number;
}

/** The figures a lens shows for a dataset. */
export function cacheFigures(ds: CachedDataset, executors?: readonly Executor[]): CacheFigures {
  const max = executors?.filter((e) => e.isActive).reduce((s, e) => s + e.maxMemory, 0) ?? 0;
  const figures: CacheFigures = {
    rddId: ds.rddId, memoryUsed: ds.memoryUsed, diskUsed: ds.diskUsed,
    numCachedPartitions: ds.numCachedPartitions, numPartitions: ds.numPartitions, storageLevel: ds.storageLevel,
  };
  return max > 0 ? { ...figures, storageShare: ds.memoryUsed / max } : figures;
}

/**
 * Several datasets as one: sizes and partitions added up; the id, name and level of the newest
 * (the last). What a lens over a helper's cache call shows for all its calling lines.
 */
export function sumDatasets(list: readonly CachedDataset[]): CachedDataset {
  const last = list[list.length - 1];
  const add = (f: (d: CachedDataset) => number) => list.reduce((s, d) => s + f(d), 0);
  return {
    ...last,
    numPartitions: add((d) => d.numPartitions),
    numCachedPartitions: add((d) => d.numCachedPartitions),
    memoryUsed: add((d) => d.memoryUsed),
    diskUsed: add((d) => d.diskUsed),
    distribution: list.flatMap((d) => d.distribution),
  };
}

/** One calling line of a helper's cache call with the figures of its dataset. */
export interface CallerFigures extends SourceLine {
  readonly sameFile: boolean;
  readonly figures: CacheFigures;
}

/** Everything a cache lens can say. */
export type CacheLensState =
  /** No application runs (or ran) this file: offer "Run File with Observability". */
  | { readonly kind: 'noApplication' }
  /** The application runs this file, but no dataset for this call exists yet (no action has scanned it). */
  | { readonly kind: 'notMaterialised'; readonly appId: string; readonly reason: string }
  /**
   * The application has ended and its source lists no dataset for this call: Spark drops cached
   * data when an application stops (a History Server lists none), which says nothing of whether
   * an action computed it.
   */
  | { readonly kind: 'ended'; readonly appId: string; readonly reason: string }
  | {
      readonly kind: 'measured';
      readonly appId: string;
      readonly state: Exclude<CachedDatasetState, 'notMaterialised'>;
      readonly confidence: 'exact' | 'estimated';
      readonly reason: string;
      /** The sum over `callers` when there are callers. */
      readonly figures: CacheFigures;
      /** A helper's cache call: each calling line's dataset (two or more). */
      readonly callers?: readonly CallerFigures[];
    }
  | { readonly kind: 'ambiguous'; readonly appId: string; readonly reason: string; readonly candidates: readonly CacheFigures[] }
  /** A cached dataset may exist, but nothing ties it to this call (Spark Connect): the reason instead of a figure. */
  | { readonly kind: 'unmapped'; readonly appId: string; readonly reason: string }
  /** The source stopped answering: the last state with its age. */
  | { readonly kind: 'offline'; readonly ageMs: number; readonly last: Exclude<CacheLensState, { kind: 'offline' }> };

export interface LensInput {
  /** The application running this file, if any. */
  readonly appId?: string;
  /** That application has ended (completed). */
  readonly ended?: boolean;
  readonly match?: CacheMatch;
  readonly executors?: readonly Executor[];
  /** Present when the source is unreachable: when its data was last good (epoch ms). */
  readonly offlineSince?: number;
  /** Epoch ms; model/ has no clock. */
  readonly now: number;
}

const ENDED_REASON = 'the application has ended, and Spark keeps no cached data after an application stops (a History Server lists none)';

/** The state a lens shows for one call. */
export function cacheLensState(input: LensInput): CacheLensState {
  const live = liveState(input);
  if (input.offlineSince === undefined) return live;
  return { kind: 'offline', ageMs: Math.max(0, input.now - input.offlineSince), last: live };
}

function liveState(input: LensInput): Exclude<CacheLensState, { kind: 'offline' }> {
  const { appId, match } = input;
  if (appId === undefined) return { kind: 'noApplication' };
  if (match?.kind === 'unmatched' && match.unmappable) return { kind: 'unmapped', appId, reason: match.reason };
  if (!match || match.kind === 'unmatched') {
    if (input.ended) return { kind: 'ended', appId, reason: ENDED_REASON };
    return { kind: 'notMaterialised', appId, reason: match?.reason ?? 'no cached dataset for this call yet' };
  }
  if (match.kind === 'ambiguous') {
    return { kind: 'ambiguous', appId, reason: match.reason, candidates: match.candidates.map((d) => cacheFigures(d, input.executors)) };
  }
  const callers = match.callers;
  const dataset = callers ? sumDatasets(callers.map((c) => c.dataset)) : match.dataset;
  const state = cachedDatasetState(dataset);
  if (state === 'notMaterialised') {
    if (input.ended) return { kind: 'ended', appId, reason: ENDED_REASON };
    return { kind: 'notMaterialised', appId, reason: callers ? `cached from ${callers.length} calling lines, but no action has computed them yet` : 'cached, but no action has computed it yet' };
  }
  const figures = cacheFigures(dataset, input.executors);
  if (!callers) return { kind: 'measured', appId, state, confidence: match.confidence, reason: match.reason, figures };
  return {
    kind: 'measured', appId, state, confidence: match.confidence, reason: match.reason, figures,
    callers: callers.map((c) => ({ path: c.path, line: c.line, sameFile: c.sameFile, figures: cacheFigures(c.dataset, input.executors) })),
  };
}
