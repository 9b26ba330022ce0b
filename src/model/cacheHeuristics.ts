/**
 * The heuristic of cacheMatcher.ts, for the cache calls no name ties to a dataset: the plan text
 * Spark uses as the name of a `df.cache()` entry against the columns, functions, ranges and paths
 * written near the call, among the datasets whose storage level the call can produce. Its
 * matches are always 'estimated' with their reason; when two datasets fit equally the answer
 * is 'ambiguous' with the candidates.
 */

import type { CacheMatch } from './cacheMatcher';
import type { CacheCall } from './cacheScanner';
import { baseName } from './callSite';
import { classifyDatasetName, HookName, squeeze } from './datasetNames';
import type { CachedDataset } from './types';

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
// Plan text

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

/**
 * The estimates for the calls that no name matched, written into `results`: a hook name whose
 * line has moved, then the plan text's clues, then what no clue separates.
 */
export function heuristics(
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
