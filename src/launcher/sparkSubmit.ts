/**
 * Finds spark-submit for "Run File with Observability", in the order the setting's description
 * promises: the setting `sparkObservatory.sparkSubmitPath`; `spark-submit` on PATH;
 * `$SPARK_HOME/bin/spark-submit`; the pyspark of the selected Python environment (pip's pyspark
 * carries the whole distribution, bin/ included). Node I/O only, no vscode: the caller asks the
 * Python extension for the interpreter.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface SparkSubmitQuery {
  readonly setting?: string;
  readonly pathEnv?: string;
  readonly sparkHome?: string;
  /** The selected Python interpreter, when known. */
  readonly python?: string;
}

export type FoundVia = 'setting' | 'PATH' | 'SPARK_HOME' | 'python';

export interface FoundSparkSubmit {
  readonly path: string;
  readonly via: FoundVia;
  /** The interpreter whose pyspark it is (then it also runs the job's Python). */
  readonly python?: string;
}

const EXE = process.platform === 'win32' ? 'spark-submit.cmd' : 'spark-submit';

export function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The pyspark package folder of an interpreter, or undefined (no pyspark, no python). */
export function pysparkDir(python: string, timeoutMs = 15_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import pyspark,os;print(os.path.dirname(pyspark.__file__))'], { timeout: timeoutMs }, (err, stdout) => {
      const dir = stdout?.toString().trim().split('\n').pop();
      resolve(err || !dir ? undefined : dir);
    });
  });
}

/** Where spark-submit is, and how it was found; the reasons each place failed otherwise. */
export async function findSparkSubmit(q: SparkSubmitQuery): Promise<FoundSparkSubmit | { error: string }> {
  const tried: string[] = [];
  const setting = q.setting?.trim();
  if (setting) {
    if (isExecutable(setting)) return { path: setting, via: 'setting' };
    // A set but wrong setting is an error to show, not something to silently work around.
    return { error: `sparkObservatory.sparkSubmitPath is ${setting}, which is not an executable file` };
  }
  for (const dir of (q.pathEnv ?? '').split(delimiter).filter(Boolean)) {
    const p = join(dir, EXE);
    if (isExecutable(p)) return { path: p, via: 'PATH' };
  }
  tried.push('not on PATH');
  if (q.sparkHome) {
    const p = join(q.sparkHome, 'bin', EXE);
    if (isExecutable(p)) return { path: p, via: 'SPARK_HOME' };
    tried.push(`not in SPARK_HOME (${q.sparkHome})`);
  } else {
    tried.push('SPARK_HOME not set');
  }
  if (q.python) {
    const dir = await pysparkDir(q.python);
    const p = dir && join(dir, 'bin', EXE);
    if (p && isExecutable(p)) return { path: p, via: 'python', python: q.python };
    tried.push(dir ? `${q.python}'s pyspark has no bin/${EXE}` : `no pyspark in ${q.python}`);
  } else {
    tried.push('no Python interpreter selected');
  }
  return { error: `spark-submit not found: ${tried.join('; ')}. Set sparkObservatory.sparkSubmitPath or install pyspark in the selected Python environment.` };
}
