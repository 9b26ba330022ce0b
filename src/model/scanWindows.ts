/**
 * Windows: where the tokenizer has to look. Native regular-expression search finds the few
 * places that can hold a call, and the tokenizer runs only from the top-level statement before
 * each (cacheScanner.ts, scanPythonSource).
 */

import { CLASS } from './pythonTokenizer';

/** Method names that may start a call worth a look (`cache` covers `cacheTable`; the tokenizer decides). */
export const CALL_NAMES = /cache|persist|setName|getOrCreate/g;

/** Whether a dot (blanks allowed) comes right before offset `k`. */
export function afterDot(s: string, k: number): boolean {
  for (let j = k - 1; j >= 0; j--) {
    const c = s.charCodeAt(j);
    if (c === 46) return true;
    if (c !== 32 && c !== 9) return false;
  }
  return false;
}
/** SQL cache statements anywhere; only those in a `*.sql(...)` argument count. */
export const SQL_CANDIDATE = /\bcache\s+(?:lazy\s+)?table\b/gi;

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
export function windowStart(s: string, c: number, frontier: number, regions: readonly number[]): number {
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
