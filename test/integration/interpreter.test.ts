/**
 * Run File's interpreters against a real pyspark virtualenv, outside any activated environment
 * (PATH without the venv, no SPARK_HOME, no PYSPARK_PYTHON, a `python3` without pyspark: what the
 * demo's VS Code had):
 *
 * - Spark's own behaviour, the bug: pip's `<venv>/bin/spark-submit` started that way exits 127
 *   (`/bin/spark-class: No such file or directory`).
 * - sparkObservatory.sparkSubmitPath pointing at it: found with that venv's python, and the job
 *   runs with exit 0, its driver and its workers on that python.
 * - no setting, a `.venv` in the workspace: the interpreter is chosen from it and its pyspark runs.
 *
 * Each job goes through what the extension runs: findSparkSubmit, buildSubmitCommand (the hook's
 * runner included), interpreterEnv, startJob (with its watchdog).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { REPO, venv } from './env';
import { chooseInterpreter } from '../../src/launcher/interpreter';
import { interpreterEnv } from '../../src/launcher/pythonPaths';
import { findSparkSubmit, FoundSparkSubmit } from '../../src/launcher/sparkSubmit';
import { buildSubmitCommand } from '../../src/launcher/submitCommand';
import { startJob } from '../../src/launcher/jobProcess';

const FILE = join(REPO, 'test', 'fixtures', 'runfile', 'which_python.py');
const WATCHDOG = join(REPO, 'dist', 'watchdog.js');
const tmp = mkdtempSync(join(tmpdir(), 'so-interp-'));
mkdirSync(join(tmp, 'eventlog'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const v = venv('4.3.0');
const VENV_BIN = dirname(v.python);
const VENV = dirname(VENV_BIN);

/** The extension host's environment as the demo had it: no venv anywhere. */
function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['SPARK_HOME', 'PYSPARK_PYTHON', 'PYSPARK_DRIVER_PYTHON', 'VIRTUAL_ENV', 'PYTHONPATH']) delete env[k];
  env.PATH = (env.PATH ?? '').split(delimiter).filter((d) => !d.startsWith(VENV)).join(delimiter);
  return env;
}

/** Runs the fixture as the extension would with what was found; resolves with its exit code and output. */
async function runFound(found: FoundSparkSubmit, base: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string; pythons: string }> {
  const out = join(tmp, `which-${Date.now()}.txt`);
  const cmd = buildSubmitCommand({
    sparkSubmit: found.path,
    file: FILE,
    master: 'local[1]',
    uiPort: 0,
    eventLogDir: join(tmp, 'eventlog'),
    hookDir: join(REPO, 'src', 'launcher', 'python'),
    python: found.python,
    extraConf: { 'spark.ui.enabled': 'false', 'spark.driver.memory': '512m' },
    env: { WHICH_PYTHON_OUT: out },
  });
  const extra = found.python ? interpreterEnv({ python: found.python, sparkHome: found.sparkHome, baseEnv: base, platform: process.platform }) : {};
  const job = startJob({ command: cmd.command, args: cmd.args, cwd: tmp, env: { ...base, ...extra, ...cmd.env }, watchdog: { script: WATCHDOG, node: process.execPath } });
  let output = '';
  job.child.stdout?.on('data', (d) => (output += d));
  job.child.stderr?.on('data', (d) => (output += d));
  const { code } = await job.exited;
  let pythons = '';
  try {
    pythons = readFileSync(out, 'utf8');
  } catch {
    /* the job failed before writing it */
  }
  return { code, output, pythons };
}

describe('interpreters as users have them (pyspark 4.3.0 venv, not activated)', () => {
  test('Spark: pip\'s <venv>/bin/spark-submit outside its venv exits 127 (the bug)', () => {
    const r = spawnSync(join(VENV_BIN, 'spark-submit'), ['--version'], { env: bareEnv(), encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 127, r.stderr);
    assert.match(r.stderr, /\/bin\/spark-class: No such file or directory/);
  });

  test('sparkSubmitPath = <venv>/bin/spark-submit: exit 0, driver and workers on that venv\'s python', async () => {
    const env = bareEnv();
    const found = await findSparkSubmit({ setting: join(VENV_BIN, 'spark-submit'), pathEnv: env.PATH });
    assert.ok(!('error' in found), JSON.stringify(found));
    assert.equal(found.python, v.python);
    assert.equal(found.pythonVia, 'sparkSubmit');
    assert.equal(found.sparkHome, dirname(dirname(v.sparkSubmit)));
    const r = await runFound(found, env);
    assert.equal(r.code, 0, r.output.slice(-3000));
    assert.equal(r.pythons, `driver python: ${v.python}\nworker python: ${v.python}\n`);
  });

  test('sparkSubmitPath inside site-packages/pyspark: found with the same python', async () => {
    const found = await findSparkSubmit({ setting: v.sparkSubmit, pathEnv: bareEnv().PATH });
    assert.deepEqual(found, { path: v.sparkSubmit, via: 'setting', python: v.python, pythonVia: 'sparkSubmit', sparkHome: dirname(dirname(v.sparkSubmit)) });
  });

  test('no setting, a .venv in the workspace: its pyspark runs the job with its python', async () => {
    const ws = join(tmp, 'workspace');
    mkdirSync(ws);
    symlinkSync(VENV, join(ws, '.venv'), 'dir');
    const env = bareEnv();
    const interpreter = chooseInterpreter({ workspaceFolders: [ws], platform: process.platform, env }, env.PATH);
    assert.deepEqual(interpreter, { path: join(ws, '.venv', 'bin', 'python'), via: 'workspaceVenv' });
    const found = await findSparkSubmit({ pathEnv: env.PATH, interpreter });
    assert.ok(!('error' in found), JSON.stringify(found));
    assert.equal(found.via, 'interpreter');
    assert.equal(found.python, join(ws, '.venv', 'bin', 'python'));
    const r = await runFound(found, env);
    assert.equal(r.code, 0, r.output.slice(-3000));
    assert.equal(r.pythons, `driver python: ${found.python}\nworker python: ${found.python}\n`);
  });

  test('nothing usable: the reasons the notification shows', async () => {
    const env = bareEnv();
    const interpreter = chooseInterpreter({ workspaceFolders: [join(tmp, 'empty')], platform: process.platform, env }, env.PATH);
    const found = await findSparkSubmit({ pathEnv: env.PATH, interpreter });
    assert.ok('error' in found);
    assert.match(found.error, /^spark-submit not found: not on PATH; SPARK_HOME not set; no pyspark in \S*python3? \(PATH\)\./);
  });
});
