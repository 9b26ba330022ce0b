/**
 * The npm scripts run what the README promises: `npm test` is the README's test command (the one
 * `.ci/run` runs too), and every script file an npm script names is in the repository.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('npm scripts', () => {
  test('npm test is exactly the README\'s test command, as .ci/run runs it', () => {
    const command = /^(bash scripts\/\S+)\s+# the whole test suite/m.exec(readme)?.[1];
    assert.equal(command, 'bash scripts/test.sh');
    assert.equal(pkg.scripts.test, command);
    assert.match(readFileSync(join(ROOT, '.ci', 'run'), 'utf8'), /^exec bash scripts\/test\.sh$/m);
  });

  test('every scripts/ file an npm script runs exists', () => {
    const named = Object.values(pkg.scripts).flatMap((line) => [...line.matchAll(/(?:^|\s)(scripts\/[\w./-]+)/g)].map((m) => m[1]));
    assert.ok(named.includes('scripts/test.sh'), JSON.stringify(named));
    for (const file of named) assert.ok(existsSync(join(ROOT, file)), `${file} (named by an npm script) is missing`);
  });
});
