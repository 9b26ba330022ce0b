/**
 * The spark-submit command line of "Run File with Observability", as a pure function: the
 * extension runs exactly what this returns, and the integration tests run the same thing against
 * a real Spark. Everything the other features read is switched on here (DESIGN.md F5).
 *
 * The user's file is never edited: spark-submit runs the runner `so_run.py`, which installs the
 * hook and then runs the file as `python file.py args...` would.
 */

import { javaRedactionRegex, redact, REDACTED_VALUE, sparkRedacts } from '../model/redaction';

/** What a run needs to know. Paths are absolute. */
export interface SubmitOptions {
  /** The spark-submit executable. */
  readonly sparkSubmit: string;
  /** The user's PySpark file. */
  readonly file: string;
  readonly args?: readonly string[];
  /** `local[*]`, `spark://host:7077`, `yarn`, `k8s://…`. */
  readonly master: string;
  /** Driver UI port: a free one in the discovery range, so discovery finds the driver. */
  readonly uiPort: number;
  /** Folder of event logs (created by the caller). */
  readonly eventLogDir: string;
  /** Folder holding so_run.py and spark_observatory_hook.py (dist/python in the extension). */
  readonly hookDir: string;
  /** Application name; default the file's name without `.py` (a name set in the file's builder wins). */
  readonly appName?: string;
  /** Extra `--conf`s; they win over the defaults. */
  readonly extraConf?: Readonly<Record<string, string | number | boolean>>;
  /** JSON lines of the hook's events go here (SO_HOOK_EVENTS). */
  readonly eventsFile?: string;
  /** Cache calls the hook skips (SO_DISABLE_CACHE_AT, a JSON list: paths may hold commas), lines 1-based. */
  readonly disableCacheAt?: readonly { readonly file: string; readonly line: number }[];
  /** The Python that runs the driver and the workers (PYSPARK_PYTHON), when known. */
  readonly python?: string;
  /** Extra environment for the job (the caller's wins over nothing of ours). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * `connect`: the file's `SparkSession.builder.getOrCreate()` gives a Spark Connect session,
   * served by a local Connect server in the driver's JVM (what `spark.api.mode=connect` means).
   * A `spark.api.mode=connect` in `extraConf` means the same.
   */
  readonly apiMode?: 'classic' | 'connect';
}

export interface SubmitCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Variables to set on top of the inherited environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Where the driver UI (and the REST API) will answer, if Spark gets the port it was given. */
  readonly uiUrl: string;
}

export const RUNNER_FILE = 'so_run.py';
export const HOOK_FILE = 'spark_observatory_hook.py';
export const CONNECT_HOOK_FILE = 'spark_observatory_connect.py';

/**
 * The port a local Spark Connect server always serves (pyspark's `DefaultChannelBuilder.default_port`):
 * under `spark.api.mode=connect` the client dials `sc://localhost` and nothing else, so two such
 * runs at once on one machine cannot both start (seen with pyspark 4.3.0).
 */
export const LOCAL_CONNECT_PORT = 15002;

/** `local`, `local[4]`, `local[*]`, `local[2,3]`, `local-cluster[…]`: the driver runs here. */
export function isLocalMaster(master: string): boolean {
  return /^local(?:\[[^\]]*\]|-cluster\[[^\]]*\])?$/.test(master.trim());
}

/** `file://` URL of a local folder, as spark.eventLog.dir wants it. */
export function fileUrl(path: string): string {
  const p = path.replace(/\\/g, '/');
  const withSlash = p.startsWith('/') ? p : `/${p}`;
  return `file://${encodeURI(withSlash).replace(/#/g, '%23').replace(/\?/g, '%3F')}`;
}

function join(dir: string, name: string): string {
  return dir.endsWith('/') || dir.endsWith('\\') ? dir + name : `${dir}/${name}`;
}

function baseName(path: string): string {
  const p = path.replace(/\\/g, '/');
  return p.slice(p.lastIndexOf('/') + 1);
}

/** The confs a run gets before the user's extra ones. */
export function defaultConfs(o: Pick<SubmitOptions, 'master' | 'uiPort' | 'eventLogDir'>): [string, string][] {
  const confs: [string, string][] = [
    ['spark.ui.port', String(o.uiPort)],
    // The executor endpoint /metrics/executors/prometheus (on by default from 4.0, not in 3.x).
    ['spark.ui.prometheus.enabled', 'true'],
    // The driver's PrometheusServlet sink at /metrics/prometheus.
    ['spark.metrics.conf.*.sink.prometheusServlet.class', 'org.apache.spark.metrics.sink.PrometheusServlet'],
    ['spark.metrics.conf.*.sink.prometheusServlet.path', '/metrics/prometheus'],
    ['spark.eventLog.enabled', 'true'],
    ['spark.eventLog.dir', fileUrl(o.eventLogDir)],
    // Peak executor memory per stage in the event log: without it a finished run read back
    // from the History Server has no peak JVM heap or storage memory to compare.
    ['spark.eventLog.logStageExecutorMetrics', 'true'],
    ['spark.executor.processTreeMetrics.enabled', 'true'],
  ];
  if (isLocalMaster(o.master)) {
    // Loopback only: nothing of a local run listens beyond this machine.
    confs.push(['spark.driver.host', '127.0.0.1'], ['spark.driver.bindAddress', '127.0.0.1']);
  }
  return confs;
}

/** The spark-submit argv, environment and expected UI URL of one run. */
export function buildSubmitCommand(o: SubmitOptions): SubmitCommand {
  const confs = new Map<string, string>(defaultConfs(o));
  for (const [k, v] of Object.entries(o.extraConf ?? {})) {
    if (k.trim() === '' || v === undefined || v === null) continue;
    confs.set(k.trim(), String(v));
  }
  const connect = o.apiMode === 'connect' || (o.apiMode === undefined && confs.get('spark.api.mode')?.trim().toLowerCase() === 'connect');
  if (connect) {
    // Never `--conf spark.api.mode=connect` for a Python file (seen on 4.3.0): the launcher then
    // builds a Connect *client* classpath (jars/connect-repl/*, without spark-sql_* and
    // spark-connect_*), while pyspark's builder reads the mode only from its own options or
    // SPARK_API_MODE, takes the classic path and fails on the missing
    // org.apache.spark.sql.classic.SparkSession: "'JavaPackage' object is not callable".
    // SPARK_API_MODE for the Python driver gives the Connect session over the full classpath.
    confs.delete('spark.api.mode');
    // The local Connect server listens on LOCAL_CONNECT_PORT: on loopback only for a local run.
    if (isLocalMaster(o.master) && !confs.has('spark.connect.grpc.binding.address')) confs.set('spark.connect.grpc.binding.address', '127.0.0.1');
  }
  const uiPort = Number(confs.get('spark.ui.port')) || o.uiPort;
  const appName = o.appName ?? baseName(o.file).replace(/\.py$/i, '');
  const args: string[] = ['--master', o.master, '--name', appName];
  for (const [k, v] of confs) args.push('--conf', `${k}=${v}`);
  args.push(join(o.hookDir, RUNNER_FILE), o.file, ...(o.args ?? []));

  const env: Record<string, string> = { PYTHONUNBUFFERED: '1' };
  // The Web UI binds SPARK_LOCAL_IP (else every interface): keep a local run on loopback.
  if (isLocalMaster(o.master)) env.SPARK_LOCAL_IP = '127.0.0.1';
  if (o.python) {
    env.PYSPARK_PYTHON = o.python;
    env.PYSPARK_DRIVER_PYTHON = o.python;
  }
  if (connect) {
    env.SPARK_API_MODE = 'connect';
    // The builder starts the local server with MASTER (default `local`, one core) unless the file sets a master.
    env.MASTER = o.master;
  }
  if (o.eventsFile) env.SO_HOOK_EVENTS = o.eventsFile;
  if (o.disableCacheAt && o.disableCacheAt.length > 0) {
    env.SO_DISABLE_CACHE_AT = JSON.stringify(o.disableCacheAt.map((d) => ({ file: d.file, line: d.line })));
  }
  Object.assign(env, o.env ?? {});
  return { command: o.sparkSubmit, args, env, uiUrl: `http://127.0.0.1:${uiPort}` };
}

/** POSIX shell quoting, for showing the command line to the user. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line as a person would type it (env assignments first), for the log, the terminal
 * and the run record: conf values and environment variables Spark would redact (its default
 * `spark.redaction.regex`, and the job's own when it sets one) are shown as Spark shows them,
 * `*********(redacted)`, and URLs lose their credentials. spark-submit itself gets `c` as it is.
 */
export function commandLine(c: SubmitCommand): string {
  // `--conf k=v` as [k, v]; any other argument as undefined.
  const confs = c.args.map((a, i) => {
    const eq = a.indexOf('=');
    return c.args[i - 1] === '--conf' && eq > 0 ? ([a.slice(0, eq), a.slice(eq + 1)] as const) : undefined;
  });
  const own = javaRedactionRegex(confs.find((kv) => kv?.[0] === 'spark.redaction.regex')?.[1]);
  const value = (k: string, v: string) => (sparkRedacts(k, v, own) ? REDACTED_VALUE : v);
  const env = Object.entries(c.env).map(([k, v]) => `${k}=${shellQuote(value(k, v))}`);
  const args = c.args.map((a, i) => {
    const kv = confs[i];
    return shellQuote(kv ? `${kv[0]}=${value(kv[0], kv[1])}` : a);
  });
  return redact([...env, shellQuote(c.command), ...args].join(' '));
}
