/**
 * The tokenizer of the cache scanner (cacheScanner.ts): just enough Python to never report a call
 * inside a comment, a docstring or another string, and to follow statements across bracketed
 * lines and backslash continuations. What it does with each token is its subclass's
 * (cacheCallRecognizer.ts).
 *
 * Lines and characters are 0-based UTF-16 offsets, as VS Code counts them.
 */

export const enum Tok { None, Ident, Number, Str, Dot, Open, Close, Op }

/** ASCII character classes: 1 identifier start, 2 digit. Non-ASCII counts as identifier (PEP 3131). */
export const CLASS = new Uint8Array(128);
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

export interface StringPart {
  readonly start: number;
  readonly contentStart: number;
  readonly contentEnd: number;
  readonly line: number;
  readonly lineStart: number;
  readonly isF: boolean;
}

export const DEPTH_CAP = 200;

/**
 * Reads a Python text token by token: blanks, comments, continuations, strings (f-strings' fields
 * included), numbers, names, dots and brackets, keeping the line, the bracket depth and the last
 * token. What each token means for a statement is the subclass's: the abstract methods below.
 */
export abstract class PythonTokenizer {
  protected readonly s: string;
  protected readonly n: number;
  protected line = 0;
  protected lineStart = 0;
  protected depth = 0;
  protected prev: Tok = Tok.None;
  /** Offset where the current operand chain starts, per bracket depth. */
  protected readonly chainStart = new Int32Array(DEPTH_CAP + 1).fill(-1);
  protected stmtStarted = false;
  /** Comment ranges inside brackets of the current statement, cut out of receiver texts. */
  protected comments: number[] = [];
  protected lastDotPos = 0;
  protected lastDotLine = 0;
  protected lastDotCol = 0;
  /** Set while scanning a string, read by the argument tracker. */
  protected lastString: StringPart | undefined;

  constructor(text: string) {
    this.s = text;
    this.n = text.length;
  }

  /** Ends the statement in progress (a newline at depth 0, a `;`), if one is. */
  protected abstract endStatement(): void;
  /** A statement starts at `start` with its first significant token. */
  protected abstract beginStatement(start: number): void;
  /** Every significant token, before its own handling. */
  protected abstract token(kind: Tok, start: number): void;
  /** A name from `i` to `j`. */
  protected abstract ident(i: number, j: number): void;
  /** `(`, `[` or `{` (`c`) at `i`. */
  protected abstract open(c: number, i: number): void;
  /** `)`, `]` or `}` at `i`. */
  protected abstract close(i: number): void;
  /** `=` at `i`; returns the offset after the operator. */
  protected abstract equals(i: number): number;

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

  /** Whether only blanks (or a continuation, or newlines inside brackets) separate `j` from `(`. */
  protected followedByOpen(j: number): boolean {
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
}

/** `r`, `b`, `f`, `u`, `t` and the two-letter raw/bytes/format combinations, in any case. */
function isStringPrefix(s: string, i: number, j: number): boolean {
  const a = s.charCodeAt(i) | 32;
  if (j - i === 1) return a === 114 || a === 98 || a === 102 || a === 117 || a === 116;
  const b = s.charCodeAt(i + 1) | 32;
  return (a === 114 && (b === 98 || b === 102 || b === 116)) || ((a === 98 || a === 102 || a === 116) && b === 114);
}
