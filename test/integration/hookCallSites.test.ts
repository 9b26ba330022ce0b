/**
 * The names the hook gives cache calls of every shape, read from each call's statement alone
 * (test/fixtures/hook/call_sites.py run by test/bench/hook_setup.py with the pyspark 4.3.0
 * virtualenv's Python; no Spark): two calls on one line, a chain over lines with a comment,
 * non-ASCII text before the call, a helper called from two lines (one inside a comprehension).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, venv } from './env';
import { HOOK_DIR, lineOf } from './runs';

const FILE = join(REPO, 'test', 'fixtures', 'hook', 'call_sites.py');

test('each cache call is named after its own line and text; a helper\'s after its calling lines', () => {
  const out = execFileSync(venv('4.3.0').python, [join(REPO, 'test', 'bench', 'hook_setup.py'), HOOK_DIR, FILE], { encoding: 'utf8' });
  const { names } = JSON.parse(out.trim().split('\n').pop()!) as { names: string[] };
  const at = (text: string, match: string | ((l: string) => boolean)) => `${text} at ${FILE}:${lineOf(FILE, match)}`;
  const helper = at('df.cache()', 'return df.cache()');
  assert.deepEqual(names, [
    at('probe.cache()', (l: string) => l === 'probe.cache()'),
    at('probe.cache()', 'x = probe.cache()'),
    at('probe.persist("DISK_ONLY")', 'x = probe.cache()'),
    at('probe.cache()', (l: string) => l === '    .cache()'),
    at('{"é": probe}["é"].persist("MEMORY_AND_DISK")', 'ünïcode = '),
    `${helper} called from ${FILE}:${lineOf(FILE, (l) => l === 'helper(probe)')}`,
    `${helper} called from ${FILE}:${lineOf(FILE, '[helper(p) for p in [probe]]')}`,
  ]);
});
