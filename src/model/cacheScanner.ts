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
 */

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

/** Longest receiver text kept; plans and chains can be long, a lens title cannot. */
export const MAX_RECEIVER_LENGTH = 120;

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

/**
 * The StorageLevel constant named by a `persist(...)` argument text: `StorageLevel.DISK_ONLY`,
 * `pyspark.StorageLevel.MEMORY_ONLY`, `storageLevel=StorageLevel.MEMORY_AND_DISK_2` → the
 * constant; `persist()` or a level built with `StorageLevel(True, ...)` → undefined.
 */
export function parseStorageLevelArg(args: string | undefined): string | undefined {
  if (!args) return undefined;
  const m = /(?:^|[^\w])StorageLevel\s*\.\s*([A-Z][A-Z0-9_]*)\s*$/.exec(args.trim());
  if (m) return m[1];
  // A bare constant imported on its own: `persist(DISK_ONLY)`.
  const bare = /^(?:storageLevel\s*=\s*)?([A-Z][A-Z0-9_]*)$/.exec(args.trim());
  return bare ? bare[1] : undefined;
}

/** A `CACHE [LAZY] TABLE name` statement found inside SQL text. */
export interface SqlCacheStatement {
  /** Offset of `CACHE` in the SQL text. */
  readonly index: number;
  readonly tableName: string;
  readonly lazy: boolean;
}

/**
 * Finds `CACHE [LAZY] TABLE name` in SQL text, case-insensitively, skipping SQL comments and
 * quoted literals; `UNCACHE TABLE` is not a match. With `fString`, a name that is (or runs into)
 * a `{...}` placeholder is not literal and is skipped.
 */
export function findSqlCacheStatements(sql: string, fString = false): SqlCacheStatement[] {
  const out: SqlCacheStatement[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 45 /* - */ && sql.charCodeAt(i + 1) === 45) {
      const e = sql.indexOf('\n', i);
      i = e < 0 ? n : e + 1;
      continue;
    }
    if (c === 47 /* / */ && sql.charCodeAt(i + 1) === 42 /* * */) {
      const e = sql.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (c === 39 /* ' */) {
      const e = sql.indexOf("'", i + 1);
      i = e < 0 ? n : e + 1;
      continue;
    }
    if ((c === 67 || c === 99) && !isWordChar(sql.charCodeAt(i - 1)) && wordAt(sql, i, 'CACHE')) {
      let j = skipSpace(sql, i + 5);
      if (j === i + 5) { i += 5; continue; }
      let lazy = false;
      if (wordAt(sql, j, 'LAZY')) {
        const k = skipSpace(sql, j + 4);
        if (k === j + 4) { i = j; continue; }
        lazy = true;
        j = k;
      }
      if (!wordAt(sql, j, 'TABLE')) { i = j; continue; }
      const k = skipSpace(sql, j + 5);
      if (k === j + 5) { i = j; continue; }
      const end = tableNameEnd(sql, k);
      const literal = !fString || (sql.charCodeAt(end) !== 123 /* { */ && sql.charCodeAt(k) !== 123);
      if (end > k && literal) out.push({ index: i, tableName: sql.slice(k, end), lazy });
      i = end > k ? end : k;
      continue;
    }
    i++;
  }
  return out;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Case-insensitive keyword at `i`, followed by a non-word character. */
function wordAt(s: string, i: number, upperWord: string): boolean {
  for (let k = 0; k < upperWord.length; k++) {
    const c = s.charCodeAt(i + k);
    if ((c & ~32) !== upperWord.charCodeAt(k)) return false;
  }
  return !isWordChar(s.charCodeAt(i + upperWord.length));
}

function skipSpace(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) i++;
    else return i;
  }
}

/** End of a possibly qualified, possibly back-quoted table name: `t`, `db.t`, `` `my db`.`t` ``. */
function tableNameEnd(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 96 /* ` */) {
      const e = s.indexOf('`', i + 1);
      if (e < 0) return i;
      i = e + 1;
    } else if (isWordChar(c) || c === 46 /* . */) {
      i++;
    } else {
      return i;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Windows: where the tokenizer has to look.

/** Method names that may start a call worth a look (`cache` covers `cacheTable`; the tokenizer decides). */
const CALL_NAMES = /cache|persist|setName|getOrCreate/g;

/** Whether a dot (blanks allowed) comes right before offset `k`. */
function afterDot(s: string, k: number): boolean {
  for (let j = k - 1; j >= 0; j--) {
    const c = s.charCodeAt(j);
    if (c === 46) return true;
    if (c !== 32 && c !== 9) return false;
  }
  return false;
}
/** SQL cache statements anywhere; only those in a `*.sql(...)` argument count. */
const SQL_CANDIDATE = /\bcache\s+(?:lazy\s+)?table\b/gi;

/**
 * The `[start, end)` offsets of the triple-quoted strings of a text, in order. Each `"""` or
 * `'''` found by native search is checked against its own line (it may sit in a comment or a
 * one-line string), so only lines holding triple quotes are read character by character.
 */
export function tripleQuotedRegions(s: string): number[] {
  const regions: number[] = [];
  const n = s.length;
  let p = 0;
  let lastEnd = 0;
  const re = /"""|'''/g;
  for (;;) {
    re.lastIndex = p;
    const m = re.exec(s);
    if (!m) break;
    const q = m.index;
    const ls = Math.max(s.lastIndexOf('\n', q - 1) + 1, lastEnd);
    if (!inCodeOnLine(s, ls, q)) {
      p = q + 1;
      continue;
    }
    const delim = s.slice(q, q + 3);
    let close = s.indexOf(delim, q + 3);
    // An escaped quote does not close: `"""a\""""` ends at the last three.
    while (close >= 0 && backslashesBefore(s, close) % 2 === 1) close = s.indexOf(delim, close + 1);
    const end = close < 0 ? n : close + 3;
    regions.push(q, end);
    lastEnd = end;
    p = end;
  }
  return regions;
}

function backslashesBefore(s: string, i: number): number {
  let k = 0;
  while (i - 1 - k >= 0 && s.charCodeAt(i - 1 - k) === 92) k++;
  return k;
}

/** Whether offset `q` is code (not in a one-line string or a comment), reading from `from` on its line. */
function inCodeOnLine(s: string, from: number, q: number): boolean {
  let quote = 0;
  for (let i = from; i < q; i++) {
    const c = s.charCodeAt(i);
    if (quote !== 0) {
      if (c === 92) i++;
      else if (c === quote) quote = 0;
    } else if (c === 35) {
      return false;
    } else if (c === 34 || c === 39) {
      quote = c;
    }
  }
  return quote === 0;
}

function inRegion(regions: readonly number[], offset: number): boolean {
  let lo = 0;
  let hi = regions.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (offset < regions[2 * mid]) hi = mid - 1;
    else if (offset >= regions[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * Where to start tokenizing for a candidate at `c`: the nearest line at or above it that starts
 * a top-level statement (a letter, `_` or `@` at column 0, outside triple-quoted strings, not
 * continued from a backslash), or `frontier` when that is nearer: the tokenizer already stands
 * at a statement end there.
 */
function windowStart(s: string, c: number, frontier: number, regions: readonly number[]): number {
  let ls = s.lastIndexOf('\n', c - 1) + 1;
  for (;;) {
    if (ls <= frontier) return frontier;
    const ch = s.charCodeAt(ls);
    const startsStatement = (ch < 128 ? CLASS[ch] === 1 : false) || ch === 64;
    if (startsStatement && !inRegion(regions, ls) && !continued(s, ls)) return ls;
    if (ls < 2) {
      ls = 0;
      continue;
    }
    ls = s.lastIndexOf('\n', ls - 2) + 1;
  }
}

/** Whether the line before the one starting at `ls` ends in a backslash continuation. */
function continued(s: string, ls: number): boolean {
  let k = ls - 2;
  if (k >= 0 && s.charCodeAt(k) === 13) k--;
  return k >= 0 && s.charCodeAt(k) === 92;
}

// ---------------------------------------------------------------------------------------------
// The tokenizer.

const enum Tok { None, Ident, Number, Str, Dot, Open, Close, Op }

/** ASCII character classes: 1 identifier start, 2 digit. Non-ASCII counts as identifier (PEP 3131). */
const CLASS = new Uint8Array(128);
for (let c = 65; c <= 90; c++) CLASS[c] = 1;
for (let c = 97; c <= 122; c++) CLASS[c] = 1;
CLASS[95] = 1;
for (let c = 48; c <= 57; c++) CLASS[c] = 2;

function isIdentStart(c: number): boolean {
  return c < 128 ? CLASS[c] === 1 : c !== 0xfeff && c !== 0xa0 && c !== 0x2028 && c !== 0x2029;
}
function isIdentChar(c: number): boolean {
  return c < 128 ? CLASS[c] !== 0 : c !== 0xfeff && c !== 0xa0 && c !== 0x2028 && c !== 0x2029;
}

/** Keywords after which `(`/`[` opens a new expression instead of calling or indexing. */
const KEYWORDS = new Set([
  'and', 'as', 'assert', 'await', 'del', 'elif', 'else', 'for', 'from', 'if', 'import', 'in', 'is',
  'lambda', 'not', 'or', 'return', 'while', 'with', 'yield',
]);

/** The method names worth a look after a dot; everything else is skipped on its length alone. */
type Interesting = 'cache' | 'persist' | 'cacheTable' | 'sql' | 'setName' | 'getOrCreate';

interface StringPart {
  readonly start: number;
  readonly contentStart: number;
  readonly contentEnd: number;
  readonly line: number;
  readonly lineStart: number;
  readonly isF: boolean;
}

interface Pending {
  readonly name: Interesting;
  readonly dotPos: number;
  readonly dotLine: number;
  readonly dotCol: number;
  readonly nameEnd: number;
  readonly chainStart: number;
  readonly statementLine: number;
  readonly statementStart: number;
  innerDepth: number;
  argsStart: number;
  sawToken: boolean;
  /** 0 expecting the first argument, 1 reading literal strings, 2 not literal, 3 literal and complete. */
  argState: number;
  strings: StringPart[];
}

const DEPTH_CAP = 200;

class Scanner {
  readonly calls: CacheCall[] = [];
  readonly setNames: SetNameCall[] = [];
  sessionLine: number | undefined;

  private readonly s: string;
  private readonly n: number;
  private line = 0;
  private lineStart = 0;
  private depth = 0;
  private prev: Tok = Tok.None;
  private prevIdentStart = 0;
  private prevIdentEnd = 0;
  /** Offset where the current operand chain starts, per bracket depth. */
  private readonly chainStart = new Int32Array(DEPTH_CAP + 1).fill(-1);
  private stmtStarted = false;
  private stmtLine = 0;
  private stmtStart = 0;
  /** Where the next assignment target would start: the statement start or just after the last `=`. */
  private targetFrom = 0;
  private assignStart = -1;
  private assignEnd = -1;
  /** Comment ranges inside brackets of the current statement, cut out of receiver texts. */
  private comments: number[] = [];
  private lastDotPos = 0;
  private lastDotLine = 0;
  private lastDotCol = 0;
  private readonly pending: Pending[] = [];
  private awaitingOpen: Pending | undefined;
  /** Set while scanning a string, read by the argument tracker. */
  private lastString: StringPart | undefined;

  constructor(text: string) {
    this.s = text;
    this.n = text.length;
  }

  /** Tokenizes windows around every candidate position, in order, each stretch of text once. */
  runWindows(): void {
    const s = this.s;
    const candidates: number[] = [];
    // One case-sensitive alternation: measured 7× faster than indexOf per name (whose search
    // stumbles on every common first letter) and 3× faster than a pattern anchored on dots.
    for (const m of s.matchAll(CALL_NAMES)) if (afterDot(s, m.index)) candidates.push(m.index);
    for (const m of s.matchAll(SQL_CANDIDATE)) candidates.push(m.index);
    if (candidates.length === 0) return;
    candidates.sort((a, b) => a - b);
    const regions = tripleQuotedRegions(s);
    let frontier = 0;
    for (const c of candidates) {
      if (c < frontier) continue;
      const w = windowStart(s, c, frontier, regions);
      if (w > frontier) this.jump(frontier, w);
      frontier = this.tokenize(w, c);
    }
  }

  /** Moves the tokenizer from `from` to the line start `to`, as if a statement ended there. */
  private jump(from: number, to: number): void {
    const s = this.s;
    let k = s.indexOf('\n', from);
    while (k >= 0 && k < to) {
      this.line++;
      k = s.indexOf('\n', k + 1);
    }
    this.lineStart = to;
    this.depth = 0;
    this.pending.length = 0;
    this.awaitingOpen = undefined;
    this.endStatement();
    this.prev = Tok.None;
  }

  /**
   * Tokenizes from `i` until past `stopAfter`, stopping at the end of the statement holding it
   * (a newline at bracket depth 0); returns where it stopped.
   */
  tokenize(i: number, stopAfter: number): number {
    const s = this.s;
    const n = this.n;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 13 || c === 12) { i++; continue; }
      if (c === 10) {
        this.newline(i);
        i++;
        if (i > stopAfter && this.depth === 0) return i;
        continue;
      }
      if (c === 35 /* # */) {
        const e = s.indexOf('\n', i);
        const end = e < 0 ? n : e;
        if (this.depth > 0) this.comments.push(i, end);
        i = end;
        continue;
      }
      if (c === 92 /* \ */) {
        // Backslash continuation: the logical line goes on, the physical line changes.
        let j = i + 1;
        if (s.charCodeAt(j) === 13) j++;
        if (s.charCodeAt(j) === 10) {
          this.line++;
          this.lineStart = j + 1;
          i = j + 1;
        } else {
          i++;
        }
        continue;
      }
      if (isIdentStart(c)) {
        let j = i + 1;
        while (j < n && isIdentChar(s.charCodeAt(j))) j++;
        const q = s.charCodeAt(j);
        if ((q === 34 || q === 39) && j - i <= 2 && isStringPrefix(s, i, j)) {
          i = this.string(i, j, true);
          continue;
        }
        this.ident(i, j);
        i = j;
        continue;
      }
      if (c === 34 || c === 39) { i = this.string(i, i, true); continue; }
      if (c < 128 && CLASS[c] === 2) { i = this.number(i); continue; }
      if (c === 46 /* . */) {
        const d = s.charCodeAt(i + 1);
        if (d >= 48 && d <= 57 && !this.atomEnded()) { i = this.number(i); continue; }
        this.token(Tok.Dot, i);
        this.lastDotPos = i;
        this.lastDotLine = this.line;
        this.lastDotCol = i - this.lineStart;
        this.prev = Tok.Dot;
        i++;
        continue;
      }
      if (c === 40 || c === 91 || c === 123) { this.open(c, i); i++; continue; }
      if (c === 41 || c === 93 || c === 125) { this.close(i); i++; continue; }
      if (c === 61 /* = */) { i = this.equals(i); continue; }
      if (c === 59 /* ; */ && this.depth === 0) {
        this.token(Tok.Op, i);
        this.endStatement();
        i++;
        continue;
      }
      this.token(Tok.Op, i);
      this.prev = Tok.Op;
      i++;
    }
    return n;
  }

  private atomEnded(): boolean {
    return this.prev === Tok.Ident || this.prev === Tok.Close || this.prev === Tok.Str || this.prev === Tok.Number;
  }

  private newline(i: number): void {
    this.line++;
    this.lineStart = i + 1;
    if (this.depth === 0) this.endStatement();
  }

  private endStatement(): void {
    if (!this.stmtStarted) return;
    this.stmtStarted = false;
    this.prev = Tok.None;
    this.assignStart = -1;
    this.assignEnd = -1;
    this.chainStart[0] = -1;
    if (this.comments.length > 0) this.comments = [];
  }

  /** Bookkeeping every significant token does: statement start and argument tracking. */
  private beginStatement(start: number): void {
    this.stmtStarted = true;
    this.stmtLine = this.line;
    this.stmtStart = start;
    this.targetFrom = start;
  }

  private token(kind: Tok, start: number): void {
    if (!this.stmtStarted) this.beginStatement(start);
    const p = this.pending.length > 0 ? this.pending[this.pending.length - 1] : undefined;
    if (p !== undefined && this.depth >= p.innerDepth) {
      p.sawToken = true;
      if (p.argState < 2) {
        if (this.depth > p.innerDepth) p.argState = 2;
        else if (kind === Tok.Str && this.lastString !== undefined) {
          p.strings.push(this.lastString);
          p.argState = 1;
        } else if (kind === Tok.Op && p.argState === 1 && this.s.charCodeAt(start) === 44 /* , */) {
          p.argState = 3;
        } else {
          p.argState = 2;
        }
      }
    }
  }

  private ident(i: number, j: number): void {
    const s = this.s;
    // Unbalanced brackets (code being typed) would swallow the rest of the file into one
    // statement; a `def`/`class` at column 0 cannot be inside brackets in code that runs.
    if (this.depth > 0 && i === this.lineStart && ((j - i === 3 && s.startsWith('def', i)) || (j - i === 5 && s.startsWith('class', i)))) {
      this.depth = 0;
      this.pending.length = 0;
      this.awaitingOpen = undefined;
      this.endStatement();
    }
    this.token(Tok.Ident, i);
    const d = this.depth;
    if (this.prev === Tok.Dot) {
      const len = j - i;
      if (len === 5 || len === 7 || len === 10 || len === 3 || len === 11) {
        const name = s.slice(i, j);
        if (name === 'cache' || name === 'persist' || name === 'cacheTable' || name === 'sql' || name === 'setName' || name === 'getOrCreate') {
          if (this.followedByOpen(j)) {
            this.awaitingOpen = {
              name,
              dotPos: this.lastDotPos,
              dotLine: this.lastDotLine,
              dotCol: this.lastDotCol,
              nameEnd: j,
              chainStart: this.chainStart[d],
              statementLine: this.stmtLine,
              statementStart: this.stmtStart,
              innerDepth: -1,
              argsStart: -1,
              sawToken: false,
              argState: 0,
              strings: [],
            };
          }
        }
      }
    } else {
      this.chainStart[d] = i;
    }
    this.prev = Tok.Ident;
    this.prevIdentStart = i;
    this.prevIdentEnd = j;
  }

  /** Whether only blanks (or a continuation, or newlines inside brackets) separate `j` from `(`. */
  private followedByOpen(j: number): boolean {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(j);
      if (c === 40) return true;
      if (c === 32 || c === 9 || c === 13) j++;
      else if (c === 92 && (s.charCodeAt(j + 1) === 10 || (s.charCodeAt(j + 1) === 13 && s.charCodeAt(j + 2) === 10))) j += 2;
      else if (c === 10 && this.depth > 0) j++;
      else return false;
    }
  }

  private open(c: number, i: number): void {
    this.token(Tok.Open, i);
    const d = this.depth;
    if (c === 123) {
      this.chainStart[d] = i;
    } else {
      const trailer =
        this.prev === Tok.Close || this.prev === Tok.Str ||
        (this.prev === Tok.Ident && !KEYWORDS.has(this.s.slice(this.prevIdentStart, this.prevIdentEnd)));
      if (!trailer) this.chainStart[d] = i;
    }
    if (d < DEPTH_CAP) this.depth = d + 1;
    this.chainStart[this.depth] = -1;
    const p = this.awaitingOpen;
    if (p !== undefined) {
      this.awaitingOpen = undefined;
      p.innerDepth = this.depth;
      p.argsStart = i + 1;
      this.pending.push(p);
    }
    this.prev = Tok.Open;
  }

  private close(i: number): void {
    const inner = this.depth;
    const p = this.pending.length > 0 ? this.pending[this.pending.length - 1] : undefined;
    if (p !== undefined && p.innerDepth === inner) {
      this.pending.pop();
      if (p.argState === 1) p.argState = 3;
      if (this.depth > 0) this.depth--;
      this.token(Tok.Close, i);
      this.finish(p, i);
    } else {
      if (this.depth > 0) this.depth--;
      this.token(Tok.Close, i);
    }
    this.prev = Tok.Close;
  }

  /** `=`: an assignment at the statement's top level, or part of `==`, `<=`, `+=`, a keyword argument. */
  private equals(i: number): number {
    const s = this.s;
    this.token(Tok.Op, i);
    if (s.charCodeAt(i + 1) === 61) {
      this.prev = Tok.Op;
      return i + 2;
    }
    const b = s.charCodeAt(i - 1);
    const compound = b === 61 || b === 60 || b === 62 || b === 33 || b === 58 || b === 43 || b === 45 ||
      b === 42 || b === 47 || b === 37 || b === 38 || b === 124 || b === 94 || b === 64;
    if (!compound && this.depth === 0) {
      this.assignStart = this.targetFrom;
      this.assignEnd = i;
      this.targetFrom = i + 1;
    }
    this.prev = Tok.Op;
    return i + 1;
  }

  private number(i: number): number {
    const s = this.s;
    this.token(Tok.Number, i);
    this.chainStart[this.depth] = i;
    let j = i + 1;
    while (j < this.n) {
      const c = s.charCodeAt(j);
      if ((c < 128 && CLASS[c] !== 0) || c === 46) j++;
      else if ((c === 43 || c === 45) && (s.charCodeAt(j - 1) | 32) === 101 /* e */) j++;
      else break;
    }
    this.prev = Tok.Number;
    return j;
  }

  /**
   * A string literal starting with its prefix at `start` and its quote at `q`. Escapes skip the
   * next character (in raw strings too: `r"\""` does not end at the escaped quote). A
   * single-quoted string ends at a newline even when unterminated, so one typo cannot swallow
   * the rest of the file. Returns the offset after the literal.
   */
  private string(start: number, q: number, significant: boolean): number {
    const s = this.s;
    const n = this.n;
    let isF = false;
    for (let k = start; k < q; k++) {
      const c = s.charCodeAt(k) | 32;
      if (c === 102 /* f */ || c === 116 /* t */) isF = true;
    }
    // A docstring's statement starts on its first line, before the string moves the line on.
    if (significant && !this.stmtStarted) this.beginStatement(start);
    const quote = s.charCodeAt(q);
    const triple = s.charCodeAt(q + 1) === quote && s.charCodeAt(q + 2) === quote;
    const line = this.line;
    const lineStart = this.lineStart;
    const contentStart = q + (triple ? 3 : 1);
    let j = contentStart;
    let contentEnd = n;
    let end = n;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (c === 92) {
        const d = s.charCodeAt(j + 1);
        if (d === 10) { this.line++; this.lineStart = j + 2; }
        else if (d === 13 && s.charCodeAt(j + 2) === 10) { this.line++; this.lineStart = j + 3; j++; }
        j += 2;
        continue;
      }
      if (c === 10) {
        if (!triple) { contentEnd = j; end = j; break; }
        this.line++;
        this.lineStart = j + 1;
        j++;
        continue;
      }
      if (c === quote) {
        if (!triple) { contentEnd = j; end = j + 1; break; }
        if (s.charCodeAt(j + 1) === quote && s.charCodeAt(j + 2) === quote) { contentEnd = j; end = j + 3; break; }
        j++;
        continue;
      }
      if (isF && c === 123 /* { */) {
        if (s.charCodeAt(j + 1) === 123) { j += 2; continue; }
        j = this.replacementField(j + 1, triple);
        continue;
      }
      j++;
    }
    if (end > n) end = n;
    if (contentEnd > n) contentEnd = n;
    if (significant) {
      this.lastString = { start, contentStart, contentEnd, line, lineStart, isF };
      this.token(Tok.Str, start);
      this.lastString = undefined;
      if (this.prev !== Tok.Str) this.chainStart[this.depth] = start;
      this.prev = Tok.Str;
    }
    return end;
  }

  /**
   * The `{...}` of an f-string, from after its `{` to after the matching `}`. Nested strings are
   * scanned as strings (Python 3.12 lets them reuse the outer quote); a single-line f-string's
   * field stops at a newline for the same error-recovery reason as strings do.
   */
  private replacementField(j: number, triple: boolean): number {
    const s = this.s;
    let level = 0;
    while (j < this.n) {
      const c = s.charCodeAt(j);
      if (c === 125 /* } */) {
        if (level === 0) return j + 1;
        level--;
        j++;
      } else if (c === 123 || c === 40 || c === 91) {
        level++;
        j++;
      } else if (c === 41 || c === 93) {
        if (level > 0) level--;
        j++;
      } else if (c === 34 || c === 39) {
        j = this.string(j, j, false);
      } else if (c === 10) {
        if (!triple) return j;
        this.line++;
        this.lineStart = j + 1;
        j++;
      } else {
        j++;
      }
    }
    return j;
  }

  /** Turns a call whose closing parenthesis was just read into a result, if it is one. */
  private finish(p: Pending, closePos: number): void {
    const s = this.s;
    const receiver = p.chainStart >= 0 && p.chainStart < p.dotPos ? this.clean(p.chainStart, p.dotPos) : '';
    const target = this.assignEnd >= 0 && p.dotPos > this.assignEnd && this.assignStart >= p.statementStart
      ? cleanTarget(this.clean(this.assignStart, this.assignEnd))
      : undefined;
    const sameLine = this.line === p.dotLine;
    const endCharacter = sameLine ? closePos + 1 - this.lineStart : p.dotCol + (p.nameEnd - p.dotPos);
    const base = { line: p.dotLine, character: p.dotCol, endCharacter, statementLine: p.statementLine, receiver };
    switch (p.name) {
      case 'cache':
        // `.cache(x)` is someone else's cache (functools, a user class): Spark's takes no argument.
        if (!p.sawToken) this.calls.push(withTarget({ kind: 'cache', ...base }, target));
        return;
      case 'persist': {
        const arg = this.clean(p.argsStart, closePos);
        const call: CacheCall = arg
          ? { kind: 'persist', ...base, storageLevelArg: arg, storageLevel: parseStorageLevelArg(arg) }
          : { kind: 'persist', ...base };
        this.calls.push(withTarget(call, target));
        return;
      }
      case 'cacheTable': {
        const name = p.argState === 3 ? literalOf(s, p.strings) : undefined;
        if (name) this.calls.push(withTarget({ kind: 'cacheTable', ...base, tableName: name }, target));
        return;
      }
      case 'setName': {
        const name = p.argState === 3 ? literalOf(s, p.strings) : undefined;
        if (name !== undefined) {
          const sn: SetNameCall = { line: p.dotLine, statementLine: p.statementLine, receiver, name };
          this.setNames.push(target !== undefined ? { ...sn, target } : sn);
        }
        return;
      }
      case 'sql':
        if (p.argState === 3) this.sqlCalls(p, receiver, target);
        return;
      case 'getOrCreate':
        if (this.sessionLine === undefined && /SparkSession|SparkContext|builder/.test(receiver)) {
          this.sessionLine = p.statementLine;
        }
        return;
    }
  }

  private sqlCalls(p: Pending, receiver: string, target: string | undefined): void {
    const s = this.s;
    for (const part of p.strings) {
      const content = s.slice(part.contentStart, part.contentEnd);
      for (const st of findSqlCacheStatements(content, part.isF)) {
        // Position of CACHE: count the lines the string crossed before it.
        const abs = part.contentStart + st.index;
        let line = part.line;
        let lineStart = part.lineStart;
        for (let k = part.start; k < abs; k++) {
          if (s.charCodeAt(k) === 10) { line++; lineStart = k + 1; }
        }
        const character = abs - lineStart;
        const call: CacheCall = {
          kind: 'sqlCacheTable', line, character, endCharacter: character + 5, statementLine: p.statementLine,
          receiver, tableName: st.tableName, lazy: st.lazy,
        };
        this.calls.push(withTarget(call, target));
      }
    }
  }

  /** Source text of `[from, to)` without comments and continuations, blanks collapsed, capped. */
  private clean(from: number, to: number): string {
    let text = this.s.slice(from, to);
    const cm = this.comments;
    if (cm.length > 0) {
      let out = '';
      let at = from;
      for (let k = 0; k < cm.length; k += 2) {
        if (cm[k] >= to || cm[k + 1] <= from) continue;
        out += this.s.slice(at, Math.max(at, cm[k]));
        at = Math.max(at, cm[k + 1]);
      }
      text = out + this.s.slice(at, to);
    }
    return collapse(text);
  }
}

function withTarget(call: CacheCall, target: string | undefined): CacheCall {
  return target !== undefined && target !== '' ? { ...call, target } : call;
}

/**
 * `df: DataFrame` → `df`; `if ok: df` (a one-line compound statement) → `df`; a plain target
 * is kept as is.
 */
function cleanTarget(t: string): string {
  if (/^(?:if|elif|else|for|while|with|try|except|finally)\b/.test(t)) {
    return t.slice(t.lastIndexOf(':') + 1).trim();
  }
  const m = /^([A-Za-z_][\w.]*)\s*:/.exec(t);
  return m ? m[1] : t;
}

/** The literal value of a run of string parts when none has a replacement field. */
function literalOf(s: string, parts: readonly StringPart[]): string | undefined {
  let out = '';
  for (const p of parts) {
    const v = s.slice(p.contentStart, p.contentEnd);
    if (p.isF && v.indexOf('{') >= 0) return undefined;
    out += v;
  }
  return out;
}

/**
 * Collapses the blanks of an expression that spanned lines: a line break before `.`, `)`, `]`
 * or after `(`, `[` disappears (`spark.read\n  .parquet(p)` → `spark.read.parquet(p)`), any
 * other run of blanks becomes one space. Capped at MAX_RECEIVER_LENGTH with an ellipsis.
 */
function collapse(text: string): string {
  let out = '';
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const blank = c === 32 || c === 9 || c === 10 || c === 13 || c === 12 ||
      (c === 92 && (text.charCodeAt(i + 1) === 10 || text.charCodeAt(i + 1) === 13));
    if (!blank) {
      out += text[i];
      i++;
      continue;
    }
    let j = i;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === 32 || d === 9 || d === 10 || d === 13 || d === 12 || d === 92) j++;
      else break;
    }
    const before = out.charCodeAt(out.length - 1);
    const after = text.charCodeAt(j);
    const glue = out.length === 0 || j >= n || after === 46 || after === 41 || after === 93 || before === 40 || before === 91;
    if (!glue) out += ' ';
    i = j;
  }
  return out.length > MAX_RECEIVER_LENGTH ? `${out.slice(0, MAX_RECEIVER_LENGTH - 1)}…` : out;
}

/** `r`, `b`, `f`, `u`, `t` and the two-letter raw/bytes/format combinations, in any case. */
function isStringPrefix(s: string, i: number, j: number): boolean {
  const a = s.charCodeAt(i) | 32;
  if (j - i === 1) return a === 114 || a === 98 || a === 102 || a === 117 || a === 116;
  const b = s.charCodeAt(i + 1) | 32;
  return (a === 114 && (b === 98 || b === 102 || b === 116)) || ((a === 98 || a === 102 || a === 116) && b === 114);
}
