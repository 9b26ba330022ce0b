/**
 * Which Python a run uses, and what a spark-submit's path says about its environment, as pure
 * functions of paths (node:path's, for either platform; so not in model/, which the webviews
 * compile too): the caller looks at the disk and asks the Python extension. The order is the one
 * users have: the Python extension's selected environment; else `python.defaultInterpreterPath`;
 * else a `.venv`/`venv` in the workspace folder; else `python3`/`python` on PATH.
 *
 * Why the path of spark-submit matters: pip's pyspark installs `<venv>/bin/spark-submit`, a
 * script whose `find-spark-home` runs `$PYSPARK_DRIVER_PYTHON` (default: whatever `python3` is on
 * PATH) to locate the package. Started outside an activated venv it asks the system Python, which
 * has no pyspark, SPARK_HOME comes out empty and the script fails with exit 127
 * (`/bin/spark-class: No such file or directory`). So a spark-submit inside a venv runs with that
 * venv's python, the venv's bin first on PATH, and SPARK_HOME set to its pyspark when known.
 */
import * as path from 'node:path';

/** Where the interpreter came from, strongest first. */
export type InterpreterVia = 'pythonExtension' | 'setting' | 'workspaceVenv' | 'PATH';

export interface InterpreterFacts {
  /** The Python extension's selected environment's interpreter, when it is installed and answered. */
  readonly pythonExtension?: string;
  /** `python.defaultInterpreterPath` as written (variables unresolved). */
  readonly defaultInterpreterPath?: string;
  /** The workspace folder of the file first, then the others. */
  readonly workspaceFolders: readonly string[];
  readonly home?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `process.platform`. */
  readonly platform: string;
}

export interface InterpreterCandidate {
  readonly path: string;
  readonly via: InterpreterVia;
  /** A bare command name, to be looked up on PATH. */
  readonly onPath?: boolean;
}

/** Node's path functions of a platform (tests of Windows paths run on Linux). */
export function pathOf(platform: string): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** `<venv>/bin/python`, or `<venv>\Scripts\python.exe` on Windows. */
export function venvPython(venvDir: string, platform: string): string {
  const p = pathOf(platform);
  return platform === 'win32' ? p.join(venvDir, 'Scripts', 'python.exe') : p.join(venvDir, 'bin', 'python');
}

/**
 * `python.defaultInterpreterPath` with `${workspaceFolder}`, `${workspaceFolder:name}`,
 * `${userHome}`, `${env:NAME}` and a leading `~` resolved, as the Python extension reads it; a
 * relative path with a folder in it is relative to the workspace folder. Undefined when unset, when
 * it is the setting's default `python` (meaning "whatever is on PATH"), or when a variable cannot
 * be resolved.
 */
export function resolveInterpreterSetting(value: string | undefined, f: Pick<InterpreterFacts, 'workspaceFolders' | 'home' | 'env' | 'platform'>): string | undefined {
  const raw = value?.trim();
  if (!raw || raw === 'python') return undefined;
  const p = pathOf(f.platform);
  const first = f.workspaceFolders[0];
  let unresolved = false;
  let out = raw.replace(/\$\{(workspaceFolder|workspaceRoot)(?::([^}]+))?\}|\$\{userHome\}|\$\{env:([^}]+)\}/g, (m, ws: string | undefined, name: string | undefined, envName: string | undefined) => {
    let v: string | undefined;
    if (ws) v = name ? f.workspaceFolders.find((d) => p.basename(d) === name) : first;
    else if (envName) v = f.env?.[envName];
    else v = f.home;
    if (v === undefined) unresolved = true;
    return v ?? m;
  });
  if (unresolved) return undefined;
  if (f.home && (out === '~' || out.startsWith('~/') || out.startsWith('~\\'))) out = p.join(f.home, out.slice(1));
  if (!p.isAbsolute(out) && /[\\/]/.test(out)) {
    if (!first) return undefined;
    out = p.resolve(first, out);
  }
  return out;
}

/** The interpreters to try, in order; the caller takes the first that exists. */
export function interpreterCandidates(f: InterpreterFacts): InterpreterCandidate[] {
  const p = pathOf(f.platform);
  const out: InterpreterCandidate[] = [];
  if (f.pythonExtension?.trim()) out.push({ path: f.pythonExtension.trim(), via: 'pythonExtension' });
  const setting = resolveInterpreterSetting(f.defaultInterpreterPath, f);
  if (setting) out.push({ path: setting, via: 'setting', onPath: !p.isAbsolute(setting) });
  for (const folder of f.workspaceFolders) {
    for (const name of ['.venv', 'venv']) out.push({ path: venvPython(p.join(folder, name), f.platform), via: 'workspaceVenv' });
  }
  for (const cmd of f.platform === 'win32' ? ['python.exe', 'python3.exe'] : ['python3', 'python']) out.push({ path: cmd, via: 'PATH', onPath: true });
  return out;
}

/** What the path of a spark-submit says about the Python environment it belongs to. */
export interface SparkSubmitEnvironment {
  /** Interpreters of its environment to try, in order (empty: not inside a Python environment). */
  readonly pythons: readonly string[];
  /** Its pyspark package folder, when it is pyspark's own `pyspark/bin/spark-submit`. */
  readonly sparkHome?: string;
}

/**
 * The environment of a spark-submit: `<env>/bin/spark-submit` (pip's entry script) or
 * `<env>/lib/python3.X/site-packages/pyspark/bin/spark-submit` on POSIX (venv, virtualenv, conda);
 * `<env>\Scripts\spark-submit.cmd` or `<env>\Lib\site-packages\pyspark\bin\spark-submit.cmd` on
 * Windows. A Spark distribution's `bin/spark-submit` (no Python environment around it) gives no
 * interpreter; the caller checks which candidates exist.
 */
export function sparkSubmitEnvironment(sparkSubmit: string, platform: string): SparkSubmitEnvironment {
  const p = pathOf(platform);
  const file = p.normalize(sparkSubmit);
  const bin = p.dirname(file);
  const parts = bin.split(/[\\/]+/);
  const lower = parts.map((x: string) => x.toLowerCase());
  const n = parts.length;
  const posixPythons = (root: string) => [p.join(root, 'bin', 'python'), p.join(root, 'bin', 'python3')];
  if (lower[n - 1] === 'bin' && lower[n - 2] === 'pyspark') {
    const sparkHome = p.dirname(bin);
    const sitePackages = p.dirname(sparkHome);
    const site = p.basename(sitePackages).toLowerCase();
    if (site !== 'site-packages' && site !== 'dist-packages') return { pythons: [], sparkHome };
    if (platform === 'win32') {
      // <env>\Lib\site-packages: a venv has Scripts\python.exe, a base or conda install python.exe.
      const root = p.dirname(p.dirname(sitePackages));
      return { pythons: [p.join(root, 'Scripts', 'python.exe'), p.join(root, 'python.exe')], sparkHome };
    }
    // <env>/lib/python3.X/site-packages (lib64 too).
    const root = p.dirname(p.dirname(p.dirname(sitePackages)));
    return { pythons: posixPythons(root), sparkHome };
  }
  const scripts = platform === 'win32' ? 'scripts' : 'bin';
  if (lower[n - 1] === scripts) {
    const root = p.dirname(bin);
    return { pythons: platform === 'win32' ? [p.join(bin, 'python.exe')] : posixPythons(root) };
  }
  return { pythons: [] };
}

/**
 * The variables that make spark-submit and its scripts use one interpreter: its folder first on
 * PATH (what activating a venv does: `spark-class`, `find-spark-home` and the job's own
 * subprocesses find this `python`), SPARK_HOME when its pyspark is known (a user's SPARK_HOME
 * pointing at another Spark would win inside pyspark's scripts otherwise). The key of PATH is the
 * one `baseEnv` uses (`Path` on Windows, where two spellings in one environment are ambiguous).
 */
export function interpreterEnv(o: { python: string; sparkHome?: string; baseEnv: Readonly<Record<string, string | undefined>>; platform: string }): Record<string, string> {
  const p = pathOf(o.platform);
  const out: Record<string, string> = {};
  const key = Object.keys(o.baseEnv).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  const current = o.baseEnv[key] ?? '';
  const dir = p.dirname(o.python);
  const entries = current.split(p.delimiter).filter(Boolean);
  if (p.isAbsolute(o.python) && entries[0] !== dir) out[key] = [dir, ...entries].join(p.delimiter);
  if (o.sparkHome) out.SPARK_HOME = o.sparkHome;
  return out;
}
