/**
 * Finds the cache calls in Python source text (a file or one notebook cell): `.cache()`,
 * `.persist(...)`, `*.cacheTable("t")` and `CACHE [LAZY] TABLE t` inside `*.sql("...")`.
 *
 * One pass of a small Python tokenizer, O(n), no regular expressions over the whole text: the
 * lenses must cost well under 10 ms on a 50,000-line file (DESIGN.md budgets). The tokenizer
 * knows just enough Python to never report a call inside a comment, a docstring or another
 * string, to follow statements across bracketed lines and backslash continuations, and to
 * recover the receiver expression and the assigned variable of each call.
 *
 * Lines and characters are 0-based UTF-16 offsets, as VS Code counts them.
 *
 * The parts: the tokenizer (pythonTokenizer.ts), where it has to look (scanWindows.ts), what it
 * recognises in the tokens (cacheCallRecognizer.ts) and how a call's arguments are read
 * (cacheCallArgs.ts).
 */

import { Scanner } from './cacheCallRecognizer';

export type CacheCallKind = 'cache' | 'persist' | 'cacheTable' | 'sqlCacheTable';

/** One cache call found in the source. */
export interface CacheCall {
  readonly kind: CacheCallKind;
  /** Line of the `.cache`/`.persist`/`.cacheTable` token (its dot), or of the `CACHE` keyword in SQL. */
  readonly line: number;
  readonly character: number;
  /** End of the call's closing parenthesis when it is on `line`, else the end of the method name. */
  readonly endCharacter: number;
  /** Line where the statement holding the call starts (a chain over several lines starts above). */
  readonly statementLine: number;
  /** The expression the method is called on, trimmed, newlines collapsed, capped in length. */
  readonly receiver: string;
  /** The variable assigned by the statement, `df` for `df = (spark.read ... .cache())`. */
  readonly target?: string;
  /** `persist(...)`: the argument text as written; absent for `persist()`. */
  readonly storageLevelArg?: string;
  /** `persist(...)`: the StorageLevel constant named in the argument, e.g. `DISK_ONLY`. */
  readonly storageLevel?: string;
  /** `cacheTable("t")` and `CACHE TABLE t`: the table name as written (backticks kept). */
  readonly tableName?: string;
  /** `CACHE LAZY TABLE`. */
  readonly lazy?: boolean;
}

/** `x.setName("literal")`: names the RDD that `/storage/rdd` then lists under that name. */
export interface SetNameCall {
  readonly line: number;
  readonly statementLine: number;
  readonly receiver: string;
  readonly target?: string;
  readonly name: string;
}

export interface PythonScan {
  readonly calls: readonly CacheCall[];
  readonly setNames: readonly SetNameCall[];
  /** Statement line of the first `SparkSession.builder ... .getOrCreate()` (or `SparkContext.getOrCreate()`). */
  readonly sessionCreationLine?: number;
}

const CACHE_HINT = /cache|persist/i;

/**
 * Cheap test that a text can hold a cache call: one linear pass of a non-backtracking pattern,
 * so files without one cost one scan and never reach the tokenizer. May say yes wrongly
 * (a comment mentioning "cache"), never no wrongly.
 */
export function mightContainCacheCall(text: string): boolean {
  return CACHE_HINT.test(text);
}

/** The cache calls of a Python text in source order; `[]` fast when the text cannot hold one. */
export function findCacheCalls(text: string): CacheCall[] {
  if (!mightContainCacheCall(text)) return [];
  return [...scanPythonSource(text).calls];
}

/**
 * 0-based line of the statement that creates the SparkSession (`SparkSession.builder ...
 * .getOrCreate()`), where the "Run File with Observability" lens goes; undefined when none.
 */
export function findSparkSessionCreation(text: string): number | undefined {
  if (text.indexOf('getOrCreate') < 0) return undefined;
  return scanPythonSource(text).sessionCreationLine;
}

/**
 * Tokenizes a Python text and returns its cache calls, `setName` calls and session creation.
 *
 * Even a bare character loop in JavaScript costs ~4 ns per character on a modest machine, too
 * much for 50,000 lines in 10 ms. So by default (`'windows'`) native regular-expression search
 * finds the few places that can hold a call (`.cache`, `.persist`, `.cacheTable`, `.setName`,
 * `.getOrCreate`, SQL `CACHE TABLE`), and the tokenizer runs only from the last top-level
 * statement before each (a line starting at column 0, outside any triple-quoted string) to the
 * end of the statement holding it. `'full'` tokenizes everything; both give the same answer
 * except for code at column 0 inside brackets, which windows take for a statement start.
 */
export function scanPythonSource(text: string, mode: 'windows' | 'full' = 'windows'): PythonScan {
  const scanner = new Scanner(text);
  if (mode === 'full') scanner.tokenize(0, Infinity);
  else scanner.runWindows();
  scanner.calls.sort((a, b) => a.line - b.line || a.character - b.character);
  return { calls: scanner.calls, setNames: scanner.setNames, sessionCreationLine: scanner.sessionLine };
}
