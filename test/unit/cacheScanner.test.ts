import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  findCacheCalls,
  findSparkSessionCreation,
  mightContainCacheCall,
  scanPythonSource,
  type CacheCall,
} from '../../src/model/cacheScanner';
import { findSqlCacheStatements, parseStorageLevelArg } from '../../src/model/cacheCallArgs';
import { tripleQuotedRegions } from '../../src/model/scanWindows';

/** Scans in both modes and checks they agree, so every test also pins the windowed scan. */
function scan(text: string): CacheCall[] {
  const windows = scanPythonSource(text, 'windows').calls;
  const full = scanPythonSource(text, 'full').calls;
  assert.deepEqual(windows, full, 'windowed and full scans disagree');
  return [...windows];
}

const lines = (...l: string[]): string => l.join('\n');

describe('cacheScanner: finding calls', () => {
  test('finds df.cache() with its position, receiver and no target', () => {
    const calls = scan(lines('df1 = spark.range(10)', 'df1.cache()'));
    assert.deepEqual(calls, [{ kind: 'cache', line: 1, character: 3, endCharacter: 11, statementLine: 1, receiver: 'df1' }]);
  });

  test('reports the assigned variable of df2 = df2.cache()', () => {
    const [c] = scan('df2 = df2.cache()');
    assert.equal(c.target, 'df2');
    assert.equal(c.receiver, 'df2');
  });

  test('a .cache() on a continuation line inside parentheses belongs to the statement above', () => {
    const text = lines(
      'df = (spark.read',
      '      .parquet("/data/events.parquet")',
      '      .select("a", "b")',
      '      .cache())',
    );
    const [c] = scan(text);
    assert.equal(c.line, 3);
    assert.equal(c.character, 6);
    assert.equal(c.statementLine, 0);
    assert.equal(c.receiver, 'spark.read.parquet("/data/events.parquet").select("a", "b")');
    assert.equal(c.target, 'df');
  });

  test('a chain with backslash continuations keeps its statement line', () => {
    const text = lines('big = spark.range(1000) \\', '    .withColumn("x", F.rand(42)) \\', '    .cache()');
    const [c] = scan(text);
    assert.equal(c.line, 2);
    assert.equal(c.statementLine, 0);
    assert.equal(c.receiver, 'spark.range(1000).withColumn("x", F.rand(42))');
    assert.equal(c.target, 'big');
  });

  test('comments inside a multi-line chain are left out of the receiver', () => {
    const text = lines('df = (spark.range(5)  # five rows', '      # a .cache() in a comment', '      .cache())');
    const calls = scan(text);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].receiver, 'spark.range(5)');
  });

  test('handles several calls on one line', () => {
    const calls = scan('a.cache(); b.persist(); c = d.cache()');
    assert.deepEqual(calls.map((c) => [c.kind, c.receiver, c.character, c.target]), [
      ['cache', 'a', 1, undefined],
      ['persist', 'b', 12, undefined],
      ['cache', 'd', 29, 'c'],
    ]);
  });

  test('nested parentheses: the receiver is the whole parenthesised expression', () => {
    const [c] = scan('joined = (df1.join(df2, on=["k"], how="inner")).cache()');
    assert.equal(c.receiver, '(df1.join(df2, on=["k"], how="inner"))');
    assert.equal(c.target, 'joined');
  });

  test('a call inside another call\'s arguments is found with its own receiver', () => {
    const [c] = scan('result = process(df.filter(F.col("x") > 0).cache(), 3)');
    assert.equal(c.receiver, 'df.filter(F.col("x") > 0)');
    assert.equal(c.target, 'result');
  });

  test('.cache without a call, cached() and a user cache(key) are not matches', () => {
    assert.deepEqual(scan(lines('x = df.cache', 'y = df.cached()', 'z = memo.cache("k")', 'def cache(self):', '    pass')), []);
  });

  test('.cache () with a space before the parenthesis is a match', () => {
    const [c] = scan('df.cache ()');
    assert.equal(c.kind, 'cache');
    assert.equal(c.endCharacter, 11);
  });

  test('persist(StorageLevel.DISK_ONLY) keeps the argument and the level', () => {
    const [c] = scan('df.persist(StorageLevel.DISK_ONLY)');
    assert.equal(c.kind, 'persist');
    assert.equal(c.storageLevelArg, 'StorageLevel.DISK_ONLY');
    assert.equal(c.storageLevel, 'DISK_ONLY');
  });

  test('persist(storageLevel=StorageLevel.MEMORY_AND_DISK_2) and pyspark.StorageLevel.MEMORY_ONLY', () => {
    const calls = scan(lines('a.persist(storageLevel=StorageLevel.MEMORY_AND_DISK_2)', 'b.persist(pyspark.StorageLevel.MEMORY_ONLY)'));
    assert.deepEqual(calls.map((c) => c.storageLevel), ['MEMORY_AND_DISK_2', 'MEMORY_ONLY']);
  });

  test('persist() without argument has no level (the default)', () => {
    const [c] = scan('df.persist()');
    assert.equal(c.storageLevelArg, undefined);
    assert.equal(c.storageLevel, undefined);
  });

  test('an annotated assignment reports the variable, not its type', () => {
    assert.equal(scan('df: DataFrame = other.cache()')[0].target, 'df');
  });

  test('a one-line if reports the assignment inside it', () => {
    assert.equal(scan('if ok: df5 = df5.cache()')[0].target, 'df5');
  });

  test('keyword arguments and comparisons are not assignments', () => {
    const calls = scan(lines('f(x=df.cache())', 'ok = a == b.cache()'));
    assert.equal(calls[0].target, undefined);
    assert.equal(calls[1].target, 'ok');
  });

  test('caps very long receivers with an ellipsis', () => {
    const long = `spark.range(10)${'.withColumn("c", F.lit(1))'.repeat(10)}`;
    const [c] = scan(`${long}.cache()`);
    assert.equal(c.receiver.length, 120);
    assert.ok(c.receiver.endsWith('…'));
  });
});

describe('cacheScanner: comments and strings', () => {
  test('ignores calls in comments, docstrings and ordinary strings', () => {
    const text = lines(
      '"""Module docstring: df.cache() here is prose.',
      'spark.catalog.cacheTable("x") too.',
      '"""',
      '# df.cache()',
      'x = "df.cache()"',
      "y = 'df.persist()'",
      "z = '''df.cache()'''",
      'def f():',
      "    '''Docstring with rdd.cache()'''",
      '    return 1',
    );
    assert.deepEqual(scan(text), []);
  });

  test('handles every string prefix and escape without losing the code after it', () => {
    const text = lines(
      'a = r"\\"" ; b = B\'x\' ; c = Rb"y" ; d = bR\'z\' ; e = u"w" ; g = fR"{x}"',
      "h = 'it\\'s' + \"say \\\"hi\\\"\"",
      'df.cache()',
    );
    const calls = scan(text);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].line, 2);
  });

  test('f-string replacement fields with nested quotes do not end the string early', () => {
    const text = lines('msg = f"{d["k"]} and {x!r:>{w}} df.cache()"', 'real.cache()');
    const calls = scan(text);
    assert.deepEqual(calls.map((c) => [c.receiver, c.line]), [['real', 1]]);
  });

  test('an unterminated one-line string ends at the line end', () => {
    const calls = scan(lines('x = "oops', 'df.cache()'));
    assert.equal(calls.length, 1);
    assert.equal(calls[0].line, 1);
  });

  test('a hash inside a string is not a comment', () => {
    const [c] = scan('x = "#not a comment"; df.cache()');
    assert.equal(c.receiver, 'df');
  });

  test('CRLF line ends give the same lines and characters', () => {
    const [c] = scan('df = (spark.range(3)\r\n      .cache())\r\n');
    assert.equal(c.line, 1);
    assert.equal(c.character, 6);
    assert.equal(c.statementLine, 0);
  });
});

describe('cacheScanner: tables', () => {
  test('cacheTable with double and single quotes, any receiver', () => {
    const calls = scan(lines('spark.catalog.cacheTable("events")', "sqlContext.cacheTable('people')"));
    assert.deepEqual(calls.map((c) => [c.kind, c.tableName, c.receiver]), [
      ['cacheTable', 'events', 'spark.catalog'],
      ['cacheTable', 'people', 'sqlContext'],
    ]);
  });

  test('cacheTable with a variable argument has no literal name and no lens', () => {
    assert.deepEqual(scan('spark.catalog.cacheTable(name)'), []);
  });

  test('CACHE TABLE inside spark.sql, case-insensitive, with AS SELECT', () => {
    const [c] = scan('spark.sql("cache table hot AS SELECT * FROM events WHERE x > 1")');
    assert.equal(c.kind, 'sqlCacheTable');
    assert.equal(c.tableName, 'hot');
    assert.equal(c.lazy, false);
    assert.equal(c.character, 11);
    assert.equal(c.receiver, 'spark');
  });

  test('CACHE LAZY TABLE in a triple-quoted string reports the line of the keyword', () => {
    const text = lines('spark.sql("""', '    -- comment: CACHE TABLE not_this', '    CACHE LAZY TABLE `db`.`t1`', '""")');
    const calls = scan(text);
    assert.equal(calls.length, 1);
    assert.deepEqual([calls[0].line, calls[0].character, calls[0].tableName, calls[0].lazy, calls[0].statementLine], [2, 4, '`db`.`t1`', true, 0]);
  });

  test('CACHE TABLE in a Python comment, in another string, or as UNCACHE is not a match', () => {
    const text = lines('# spark.sql("CACHE TABLE t")', 'q = "CACHE TABLE t"', 'spark.sql("UNCACHE TABLE t")', 'print("CACHE TABLE t")');
    assert.deepEqual(scan(text), []);
  });

  test('f-strings count only when the table name is literal', () => {
    const calls = scan(lines('spark.sql(f"CACHE TABLE {name}")', 'spark.sql(f"CACHE TABLE t_{n} AS SELECT 1")', 'spark.sql(f"CACHE TABLE lit AS SELECT {c} FROM y")'));
    assert.deepEqual(calls.map((c) => c.tableName), ['lit']);
  });

  test('findSqlCacheStatements skips quoted literals and block comments', () => {
    const sql = "SELECT 'CACHE TABLE x' /* CACHE TABLE y */; CACHE  TABLE z";
    assert.deepEqual(findSqlCacheStatements(sql), [{ index: sql.lastIndexOf('CACHE'), tableName: 'z', lazy: false }]);
  });
});

describe('cacheScanner: setName, session and helpers', () => {
  test('collects setName("literal") with its receiver and target', () => {
    const scanned = scanPythonSource('rdd = sc.parallelize(range(10)).setName("numbers").cache()');
    assert.deepEqual(scanned.setNames, [{ line: 0, statementLine: 0, receiver: 'sc.parallelize(range(10))', name: 'numbers', target: 'rdd' }]);
    assert.equal(scanned.calls[0].receiver, 'sc.parallelize(range(10)).setName("numbers")');
  });

  test('finds the statement that creates the SparkSession', () => {
    const text = lines('from pyspark.sql import SparkSession', '', 'spark = (SparkSession.builder', '         .appName("seed")', '         .getOrCreate())');
    assert.equal(findSparkSessionCreation(text), 2);
    assert.equal(findSparkSessionCreation('x = cache.getOrCreate()'), undefined);
    assert.equal(findSparkSessionCreation('print(1)'), undefined);
  });

  test('mightContainCacheCall is a superset test', () => {
    assert.equal(mightContainCacheCall('df.count()'), false);
    assert.equal(mightContainCacheCall('# Cache nothing'), true);
    assert.equal(mightContainCacheCall('df.persist()'), true);
    assert.deepEqual(findCacheCalls('df.count()'), []);
  });

  test('parseStorageLevelArg names the constant or nothing', () => {
    assert.equal(parseStorageLevelArg('StorageLevel.OFF_HEAP'), 'OFF_HEAP');
    assert.equal(parseStorageLevelArg(' pyspark.StorageLevel . DISK_ONLY_2 '), 'DISK_ONLY_2');
    assert.equal(parseStorageLevelArg('StorageLevel(True, True, False, False, 1)'), undefined);
    assert.equal(parseStorageLevelArg(undefined), undefined);
  });

  test('tripleQuotedRegions ignores triple quotes in comments and one-line strings', () => {
    const text = lines('# """ not a string', "x = '\"\"\"'", 'y = """a', 'b"""');
    const r = tripleQuotedRegions(text);
    assert.equal(r.length, 2);
    assert.equal(text.slice(r[0], r[1]), '"""a\nb"""');
  });
});

describe('cacheScanner: windows', () => {
  test('a cache call far down a long file is found with the right line', () => {
    const body = Array.from({ length: 3000 }, (_, i) => `    x${i} = df.select("c${i}")  # note`).join('\n');
    const text = lines('def main(spark):', '    """Doc"""', body, '    kept = (df', '        .cache())');
    const calls = scan(text);
    assert.deepEqual(calls.map((c) => [c.line, c.statementLine, c.target]), [[3003, 3002, 'kept']]);
  });

  test('a column-0 line inside a triple-quoted SQL string is never taken as a statement start', () => {
    const text = lines('q = spark.sql("""', 'SELECT 1', 'CACHE TABLE t', '""")', 'df.cache()');
    const calls = scan(text);
    assert.deepEqual(calls.map((c) => [c.kind, c.line, c.statementLine]), [['sqlCacheTable', 2, 0], ['cache', 4, 4]]);
  });
});

describe('cacheScanner: windowed scan equals full scan', () => {
  // Snippets with their own brackets balanced; continuation lines indented, as Python code is.
  const SNIPPETS = [
    'df = spark.range(10)',
    'df.cache()',
    '    x = df.persist(StorageLevel.DISK_ONLY)',
    'def f(a, b=1):',
    '    """Docstring: df.cache()\nCACHE TABLE nope\n"""',
    '    return (a\n        .select("x")\n        .cache())',
    'q = spark.sql("""\nCACHE LAZY TABLE t1 AS\nSELECT 1\n""")',
    "s = 'it\\'s df.cache()'  # df.cache()",
    'y = f"{df.cache()} {d[\'k\']}"',
    'z = (a +\n     b.cache()) \\\n    .count()',
    'spark.catalog.cacheTable("t2"); other.cache()',
    'class C:\n    def m(self):\n        return self.df.cache()',
    'r"""raw\n\\""" df.cache()"""',
    '@decorator\ndef g():\n    pass',
    'rdd = sc.parallelize(range(3)).setName("n").cache()',
    "u = '''\nsingle triple df.cache()\n'''",
    'spark = SparkSession.builder.getOrCreate()',
    '',
  ];

  test('200 generated files give identical results in both modes', () => {
    let seed = 12345;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (let k = 0; k < 200; k++) {
      const parts: string[] = [];
      const count = 5 + (next() % 40);
      for (let j = 0; j < count; j++) parts.push(SNIPPETS[next() % SNIPPETS.length]);
      const text = parts.join('\n');
      const w = scanPythonSource(text, 'windows');
      const f = scanPythonSource(text, 'full');
      assert.deepEqual(w, f, `file ${k} differs:\n${text}`);
    }
  });
});
