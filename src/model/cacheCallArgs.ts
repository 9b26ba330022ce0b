/**
 * What the arguments of a cache call say: the StorageLevel constant a `persist(...)` names, and
 * the `CACHE [LAZY] TABLE name` statements inside the SQL text of `*.sql("...")`.
 */

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
