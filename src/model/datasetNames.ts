/**
 * What a cached dataset's name says about where it came from: the hook's names
 * (`df1.cache() at /abs/job.py:18`), table names (`In-memory table t`), plan texts, RDD class
 * names, or a user's `setName`. The evidence cacheMatcher.ts ties cache calls to datasets with.
 */

import { splitCallSite } from './callSite';

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

export const TABLE_PREFIX = 'In-memory table ';

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

/** A receiver as the hook and the scanner write it, compared without blanks or the scanner's ellipsis. */
export function squeeze(s: string): string {
  return s.replace(/\s+/g, '').replace(/…$/, '');
}
