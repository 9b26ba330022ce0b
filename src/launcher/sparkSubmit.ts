/**
 * Finds spark-submit for "Run File with Observability" and the Python it runs with, in this
 * order: the setting `sparkObservatory.sparkSubmitPath`; the pyspark of the interpreter the user
 * chose (the Python extension's environment, `python.defaultInterpreterPath`, a workspace venv);
 * `spark-submit` on PATH; `$SPARK_HOME/bin/spark-submit`; the pyspark of `python3` on PATH (pip's
 * pyspark carries the whole distribution, bin/ included). A spark-submit inside a Python
 * environment runs with that environment's python (pythonPaths.ts says why). Node I/O only,
 * no vscode: the caller asks the Python extension for the interpreter.
 */
import { execFile } from 'node:child_process';
import { pathOf, sparkSubmitEnvironment, InterpreterVia } from './pythonPaths';
import { ChosenInterpreter, diskProbe, onPath, Probe } from './interpreter';

export interface SparkSubmitQuery {
  readonly setting?: string;
  readonly pathEnv?: string;
  readonly sparkHome?: string;
  /** The interpreter chosen for the file (launcher/interpreter.ts), when one was found. */
  readonly interpreter?: ChosenInterpreter;
  /** `process.platform` (tests give another). */
  readonly platform?: string;
  readonly probe?: Probe;
  /** The pyspark package folder of an interpreter (tests give a fake). */
  readonly pysparkDir?: (python: string) => Promise<string | undefined>;
}

export type FoundVia = 'setting' | 'interpreter' | 'PATH' | 'SPARK_HOME';

export interface FoundSparkSubmit {
  readonly path: string;
  readonly via: FoundVia;
  /** The interpreter that runs the driver and the workers (PYSPARK_PYTHON), when one is known. */
  readonly python?: string;
  /** Where that interpreter came from: the user's choice, or the spark-submit's own environment. */
  readonly pythonVia?: InterpreterVia | 'sparkSubmit';
  /** The pyspark folder spark-submit belongs to (SPARK_HOME for the run), when known. */
  readonly sparkHome?: string;
}

export function sparkSubmitName(platform: string): string {
  return platform === 'win32' ? 'spark-submit.cmd' : 'spark-submit';
}

/** The pyspark package folder of an interpreter, or undefined (no pyspark, no python). */
export function pysparkDir(python: string, timeoutMs = 15_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import pyspark,os;print(os.path.dirname(pyspark.__file__))'], { timeout: timeoutMs, windowsHide: true }, (err, stdout) => {
      const dir = stdout?.toString().trim().split(/\r?\n/).pop();
      resolve(err || !dir ? undefined : dir);
    });
  });
}

const VIA_TEXT: Record<InterpreterVia, string> = {
  pythonExtension: 'the Python extension\'s selected environment',
  setting: 'python.defaultInterpreterPath',
  workspaceVenv: 'the workspace\'s virtual environment',
  PATH: 'PATH',
};

/** The user chose this interpreter (rather than it being whatever `python3` PATH has). */
function chosenByUser(i: ChosenInterpreter | undefined): i is ChosenInterpreter {
  return !!i && i.via !== 'PATH';
}

/** Where spark-submit is, how it was found and what it runs with; the reasons each place failed otherwise. */
export async function findSparkSubmit(q: SparkSubmitQuery): Promise<FoundSparkSubmit | { error: string }> {
  const platform = q.platform ?? process.platform;
  const probe = q.probe ?? diskProbe;
  const pyspark = q.pysparkDir ?? ((p: string) => pysparkDir(p));
  const exe = sparkSubmitName(platform);
  const { join } = pathOf(platform);
  const chosen = q.interpreter;

  /** A spark-submit found somewhere: the python of its own environment, else the user's choice. */
  const withPython = async (path: string, via: FoundVia): Promise<FoundSparkSubmit> => {
    const env = sparkSubmitEnvironment(path, platform);
    const own = env.pythons.find((p) => probe.isExecutable(p));
    if (own) {
      // pip's <venv>/bin/spark-submit: its pyspark is where that python imports it from.
      const sparkHome = env.sparkHome ?? (await pyspark(own));
      return { path, via, python: own, pythonVia: 'sparkSubmit', ...(sparkHome ? { sparkHome } : {}) };
    }
    const base = { path, via, ...(env.sparkHome ? { sparkHome: env.sparkHome } : {}) };
    return chosenByUser(chosen) ? { ...base, python: chosen.path, pythonVia: chosen.via } : base;
  };

  const tried: string[] = [];
  const setting = q.setting?.trim();
  if (setting) {
    if (probe.isExecutable(setting)) return withPython(setting, 'setting');
    // A set but wrong setting is an error to show, not something to silently work around.
    return { error: `sparkObservatory.sparkSubmitPath is ${setting}, which is not an executable file` };
  }
  const fromInterpreter = async (i: ChosenInterpreter): Promise<FoundSparkSubmit | undefined> => {
    const dir = await pyspark(i.path);
    const p = dir && join(dir, 'bin', exe);
    if (p && probe.isExecutable(p)) return { path: p, via: 'interpreter', python: i.path, pythonVia: i.via, sparkHome: dir };
    tried.push(dir ? `${i.path}'s pyspark has no bin/${exe}` : `no pyspark in ${i.path} (${VIA_TEXT[i.via]})`);
    return undefined;
  };
  if (chosenByUser(chosen)) {
    const hit = await fromInterpreter(chosen);
    if (hit) return hit;
  }
  const onPathHit = onPath(exe, q.pathEnv, platform, probe);
  if (onPathHit) return withPython(onPathHit, 'PATH');
  tried.push('not on PATH');
  if (q.sparkHome) {
    const p = join(q.sparkHome, 'bin', exe);
    if (probe.isExecutable(p)) return withPython(p, 'SPARK_HOME');
    tried.push(`not in SPARK_HOME (${q.sparkHome})`);
  } else {
    tried.push('SPARK_HOME not set');
  }
  if (chosen && !chosenByUser(chosen)) {
    const hit = await fromInterpreter(chosen);
    if (hit) return hit;
  } else if (!chosen) {
    tried.push('no Python interpreter found');
  }
  return {
    error: `spark-submit not found: ${tried.join('; ')}. Select a Python interpreter whose environment has pyspark, or set sparkObservatory.sparkSubmitPath.`,
  };
}
