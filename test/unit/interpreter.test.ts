/**
 * Which Python and which spark-submit a run uses: the order users have (the Python extension's
 * environment, python.defaultInterpreterPath, a workspace venv, PATH), what a spark-submit inside
 * a venv says about its python (the exit-127 bug), and the environment a run gets. The disk and
 * the Python extension are fakes here; test/integration/interpreter.test.ts runs real venvs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseInterpreter, interpreterFromPythonApi, onPath, Probe, PythonExtensionApi } from '../../src/launcher/interpreter';
import { interpreterCandidates, interpreterEnv, resolveInterpreterSetting, sparkSubmitEnvironment, venvPython } from '../../src/launcher/pythonPaths';
import { findSparkSubmit } from '../../src/launcher/sparkSubmit';

/** A disk holding exactly these executables. */
const disk = (...files: string[]): Probe => ({ isExecutable: (f) => files.includes(f) });

const posix = { workspaceFolders: ['/work/proj'], home: '/home/me', platform: 'linux' } as const;

describe('choosing the interpreter', () => {
  test('the Python extension first, then the setting, then a workspace venv, then PATH', () => {
    const all = ['/envs/sel/bin/python', '/opt/py/bin/python3', '/work/proj/.venv/bin/python', '/usr/bin/python3'];
    const facts = { ...posix, pythonExtension: '/envs/sel/bin/python', defaultInterpreterPath: '/opt/py/bin/python3' };
    assert.deepEqual(chooseInterpreter(facts, '/usr/bin', disk(...all)), { path: '/envs/sel/bin/python', via: 'pythonExtension' });
    assert.deepEqual(chooseInterpreter({ ...facts, pythonExtension: undefined }, '/usr/bin', disk(...all)), { path: '/opt/py/bin/python3', via: 'setting' });
    assert.deepEqual(chooseInterpreter({ ...posix }, '/usr/bin', disk(...all)), { path: '/work/proj/.venv/bin/python', via: 'workspaceVenv' });
    assert.deepEqual(chooseInterpreter({ ...posix }, '/usr/local/bin:/usr/bin', disk('/usr/bin/python3')), { path: '/usr/bin/python3', via: 'PATH' });
    assert.equal(chooseInterpreter({ ...posix }, '/usr/bin', disk()), undefined);
  });

  test('a place that names a file that is not there is skipped', () => {
    const facts = { ...posix, pythonExtension: '/gone/bin/python', defaultInterpreterPath: '/also/gone' };
    assert.deepEqual(chooseInterpreter(facts, '', disk('/work/proj/venv/bin/python')), { path: '/work/proj/venv/bin/python', via: 'workspaceVenv' });
  });

  test('.venv before venv, in the file\'s folder before the other folders', () => {
    const c = interpreterCandidates({ ...posix, workspaceFolders: ['/a', '/b'] }).filter((x) => x.via === 'workspaceVenv').map((x) => x.path);
    assert.deepEqual(c, ['/a/.venv/bin/python', '/a/venv/bin/python', '/b/.venv/bin/python', '/b/venv/bin/python']);
  });

  test('on Windows a venv\'s interpreter is Scripts\\python.exe and PATH is searched for python.exe', () => {
    assert.equal(venvPython('C:\\proj\\.venv', 'win32'), 'C:\\proj\\.venv\\Scripts\\python.exe');
    const facts = { workspaceFolders: ['C:\\proj'], platform: 'win32' };
    assert.deepEqual(chooseInterpreter(facts, 'C:\\Windows;C:\\Python312', disk('C:\\Python312\\python.exe')), { path: 'C:\\Python312\\python.exe', via: 'PATH' });
    assert.equal(onPath('python.exe', 'C:\\Windows;C:\\Python312', 'win32', disk('C:\\Python312\\python.exe')), 'C:\\Python312\\python.exe');
  });

  test('python.defaultInterpreterPath: variables, ~, relative paths, and the default "python" as unset', () => {
    const f = { workspaceFolders: ['/work/proj', '/work/lib'], home: '/home/me', env: { CONDA: '/opt/conda' }, platform: 'linux' };
    assert.equal(resolveInterpreterSetting('${workspaceFolder}/.env/bin/python', f), '/work/proj/.env/bin/python');
    assert.equal(resolveInterpreterSetting('${workspaceFolder:lib}/v/bin/python', f), '/work/lib/v/bin/python');
    assert.equal(resolveInterpreterSetting('${env:CONDA}/bin/python', f), '/opt/conda/bin/python');
    assert.equal(resolveInterpreterSetting('~/venvs/a/bin/python', f), '/home/me/venvs/a/bin/python');
    assert.equal(resolveInterpreterSetting('${userHome}/x/bin/python', f), '/home/me/x/bin/python');
    assert.equal(resolveInterpreterSetting('.venv/bin/python', f), '/work/proj/.venv/bin/python');
    assert.equal(resolveInterpreterSetting('python', f), undefined);
    assert.equal(resolveInterpreterSetting('', f), undefined);
    assert.equal(resolveInterpreterSetting('${env:NOPE}/bin/python', f), undefined);
    // A bare command is looked up on PATH.
    assert.deepEqual(interpreterCandidates({ ...f, defaultInterpreterPath: 'python3.11' })[0], { path: 'python3.11', via: 'setting', onPath: true });
  });
});

describe('the Python extension\'s API', () => {
  test('the resolved executable of the active environment', async () => {
    const seen: unknown[] = [];
    const api: PythonExtensionApi = {
      ready: Promise.resolve(),
      environments: {
        getActiveEnvironmentPath: (r) => (seen.push(r), { id: 'conda-env', path: '/opt/conda/envs/spark' }),
        resolveEnvironment: async () => ({ executable: { uri: { fsPath: '/opt/conda/envs/spark/bin/python' } } }),
      },
    };
    assert.equal(await interpreterFromPythonApi(api, 'file:///work/job.py'), '/opt/conda/envs/spark/bin/python');
    assert.deepEqual(seen, ['file:///work/job.py']);
  });

  test('the environment path when it cannot be resolved; the legacy execution details on old releases', async () => {
    const unresolved: PythonExtensionApi = { environments: { getActiveEnvironmentPath: () => ({ path: '/v/bin/python' }), resolveEnvironment: async () => undefined } };
    assert.equal(await interpreterFromPythonApi(unresolved, undefined), '/v/bin/python');
    const legacy: PythonExtensionApi = { settings: { getExecutionDetails: () => ({ execCommand: ['/old/bin/python'] }) } };
    assert.equal(await interpreterFromPythonApi(legacy, undefined), '/old/bin/python');
  });

  test('no extension, an API that throws, or one that says nothing: undefined, so the next place is tried', async () => {
    assert.equal(await interpreterFromPythonApi(undefined, undefined), undefined);
    const throws: PythonExtensionApi = { environments: { getActiveEnvironmentPath: () => { throw new Error('not ready'); } } };
    assert.equal(await interpreterFromPythonApi(throws, undefined), undefined);
    assert.equal(await interpreterFromPythonApi({ ready: Promise.reject(new Error('failed')) }, undefined), undefined);
    assert.equal(await interpreterFromPythonApi({}, undefined), undefined);
  });
});

describe('what a spark-submit\'s path says', () => {
  test('pip\'s <venv>/bin/spark-submit: that venv\'s python', () => {
    assert.deepEqual(sparkSubmitEnvironment('/home/me/v/bin/spark-submit', 'linux'), { pythons: ['/home/me/v/bin/python', '/home/me/v/bin/python3'] });
  });

  test('<venv>/lib/python3.X/site-packages/pyspark/bin/spark-submit: that venv\'s python and SPARK_HOME', () => {
    assert.deepEqual(sparkSubmitEnvironment('/home/me/v/lib/python3.11/site-packages/pyspark/bin/spark-submit', 'linux'), {
      pythons: ['/home/me/v/bin/python', '/home/me/v/bin/python3'],
      sparkHome: '/home/me/v/lib/python3.11/site-packages/pyspark',
    });
    assert.deepEqual(sparkSubmitEnvironment('/usr/lib/python3/dist-packages/pyspark/bin/spark-submit', 'linux').pythons, ['/usr/bin/python', '/usr/bin/python3']);
  });

  test('Windows: Scripts\\spark-submit.cmd and Lib\\site-packages\\pyspark\\bin\\spark-submit.cmd', () => {
    assert.deepEqual(sparkSubmitEnvironment('C:\\v\\Scripts\\spark-submit.cmd', 'win32'), { pythons: ['C:\\v\\Scripts\\python.exe'] });
    assert.deepEqual(sparkSubmitEnvironment('C:\\v\\Lib\\site-packages\\pyspark\\bin\\spark-submit.cmd', 'win32'), {
      pythons: ['C:\\v\\Scripts\\python.exe', 'C:\\v\\python.exe'],
      sparkHome: 'C:\\v\\Lib\\site-packages\\pyspark',
    });
  });

  test('a Spark distribution\'s bin/spark-submit: only candidates, which its bin/ does not hold', async () => {
    assert.deepEqual(sparkSubmitEnvironment('/opt/spark/bin/spark-submit', 'linux'), { pythons: ['/opt/spark/bin/python', '/opt/spark/bin/python3'] });
    assert.deepEqual(sparkSubmitEnvironment('/opt/spark-4/sbin/spark-submit', 'linux'), { pythons: [] });
    const found = await findSparkSubmit({ setting: '/opt/spark/bin/spark-submit', probe: disk('/opt/spark/bin/spark-submit'), platform: 'linux', pysparkDir: async () => undefined });
    assert.deepEqual(found, { path: '/opt/spark/bin/spark-submit', via: 'setting' });
  });
});

describe('the environment of a run', () => {
  test('the interpreter\'s folder first on PATH and SPARK_HOME set, under the key the environment uses', () => {
    assert.deepEqual(interpreterEnv({ python: '/v/bin/python', sparkHome: '/v/pyspark', baseEnv: { PATH: '/usr/bin:/bin' }, platform: 'linux' }), { PATH: '/v/bin:/usr/bin:/bin', SPARK_HOME: '/v/pyspark' });
    assert.deepEqual(interpreterEnv({ python: 'C:\\v\\Scripts\\python.exe', baseEnv: { Path: 'C:\\Windows' }, platform: 'win32' }), { Path: 'C:\\v\\Scripts;C:\\Windows' });
    // Already first: nothing to add.
    assert.deepEqual(interpreterEnv({ python: '/v/bin/python', baseEnv: { PATH: '/v/bin:/usr/bin' }, platform: 'linux' }), {});
  });
});

describe('finding spark-submit', () => {
  const V = '/home/me/v';
  const PYSPARK = `${V}/lib/python3.11/site-packages/pyspark`;
  const pysparkDir = async (python: string) => (python.startsWith(`${V}/bin/`) ? PYSPARK : undefined);
  const venvDisk = disk(`${V}/bin/python`, `${V}/bin/spark-submit`, `${PYSPARK}/bin/spark-submit`, '/usr/bin/python3', '/opt/spark/bin/spark-submit');

  test('a setting pointing at a venv\'s bin/spark-submit runs with that venv\'s python (was exit 127)', async () => {
    const found = await findSparkSubmit({ setting: `${V}/bin/spark-submit`, pathEnv: '/usr/bin', probe: venvDisk, pysparkDir, platform: 'linux' });
    assert.deepEqual(found, { path: `${V}/bin/spark-submit`, via: 'setting', python: `${V}/bin/python`, pythonVia: 'sparkSubmit', sparkHome: PYSPARK });
  });

  test('a setting pointing inside site-packages/pyspark does the same', async () => {
    const found = await findSparkSubmit({ setting: `${PYSPARK}/bin/spark-submit`, pathEnv: '/usr/bin', probe: venvDisk, pysparkDir, platform: 'linux' });
    assert.deepEqual(found, { path: `${PYSPARK}/bin/spark-submit`, via: 'setting', python: `${V}/bin/python`, pythonVia: 'sparkSubmit', sparkHome: PYSPARK });
  });

  test('a setting outside any venv runs with the interpreter the user chose', async () => {
    const found = await findSparkSubmit({ setting: '/opt/spark/bin/spark-submit', probe: venvDisk, pysparkDir, platform: 'linux', interpreter: { path: `${V}/bin/python`, via: 'workspaceVenv' } });
    assert.deepEqual(found, { path: '/opt/spark/bin/spark-submit', via: 'setting', python: `${V}/bin/python`, pythonVia: 'workspaceVenv' });
  });

  test('a wrong setting is an error, not worked around', async () => {
    const found = await findSparkSubmit({ setting: '/nope/spark-submit', probe: venvDisk, pysparkDir, platform: 'linux' });
    assert.deepEqual(found, { error: 'sparkObservatory.sparkSubmitPath is /nope/spark-submit, which is not an executable file' });
  });

  test('the chosen interpreter\'s pyspark before a spark-submit on PATH', async () => {
    const found = await findSparkSubmit({ pathEnv: '/opt/spark/bin', probe: venvDisk, pysparkDir, platform: 'linux', interpreter: { path: `${V}/bin/python`, via: 'pythonExtension' } });
    assert.deepEqual(found, { path: `${PYSPARK}/bin/spark-submit`, via: 'interpreter', python: `${V}/bin/python`, pythonVia: 'pythonExtension', sparkHome: PYSPARK });
  });

  test('PATH, then SPARK_HOME, then python3 on PATH', async () => {
    assert.deepEqual(await findSparkSubmit({ pathEnv: '/opt/spark/bin', probe: venvDisk, pysparkDir, platform: 'linux' }), { path: '/opt/spark/bin/spark-submit', via: 'PATH' });
    assert.deepEqual(await findSparkSubmit({ pathEnv: '/usr/bin', sparkHome: '/opt/spark', probe: venvDisk, pysparkDir, platform: 'linux' }), { path: '/opt/spark/bin/spark-submit', via: 'SPARK_HOME' });
    const onPathPython = { path: `${V}/bin/python`, via: 'PATH' as const };
    assert.deepEqual(await findSparkSubmit({ pathEnv: '/usr/bin', probe: venvDisk, pysparkDir, platform: 'linux', interpreter: onPathPython }), {
      path: `${PYSPARK}/bin/spark-submit`, via: 'interpreter', python: `${V}/bin/python`, pythonVia: 'PATH', sparkHome: PYSPARK,
    });
  });

  test('nothing anywhere: the reasons, as the notification shows them', async () => {
    const found = await findSparkSubmit({ pathEnv: '/usr/bin', probe: venvDisk, pysparkDir, platform: 'linux', interpreter: { path: '/usr/bin/python3', via: 'PATH' } });
    assert.ok('error' in found);
    assert.equal(found.error, 'spark-submit not found: not on PATH; SPARK_HOME not set; no pyspark in /usr/bin/python3 (PATH). Select a Python interpreter whose environment has pyspark, or set sparkObservatory.sparkSubmitPath.');
    const chosen = await findSparkSubmit({ pathEnv: '', probe: disk(), pysparkDir, platform: 'linux', interpreter: { path: '/work/.venv/bin/python', via: 'workspaceVenv' } });
    assert.ok('error' in chosen && chosen.error.startsWith('spark-submit not found: no pyspark in /work/.venv/bin/python (the workspace\'s virtual environment); not on PATH; SPARK_HOME not set.'), JSON.stringify(chosen));
  });

  test('Windows: spark-submit.cmd in the venv\'s pyspark', async () => {
    const W = 'C:\\v\\Lib\\site-packages\\pyspark';
    const found = await findSparkSubmit({
      pathEnv: 'C:\\Windows', probe: disk(`${W}\\bin\\spark-submit.cmd`, 'C:\\v\\Scripts\\python.exe'), platform: 'win32',
      pysparkDir: async () => W, interpreter: { path: 'C:\\v\\Scripts\\python.exe', via: 'workspaceVenv' },
    });
    assert.deepEqual(found, { path: `${W}\\bin\\spark-submit.cmd`, via: 'interpreter', python: 'C:\\v\\Scripts\\python.exe', pythonVia: 'workspaceVenv', sparkHome: W });
  });
});
