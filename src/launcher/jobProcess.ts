/**
 * Starting and stopping a job's processes the same way on every platform, in one place:
 *
 * - POSIX: spark-submit runs in a process group of its own (spawned detached), which holds the
 *   JVM and the Python driver. Stopping is what a person's Ctrl+C does first: SIGINT to the
 *   Python driver, whose `finally` blocks stop Spark, so the JVM closes the event log (a SIGTERM
 *   to the whole group can end the JVM before it does, see test/integration/env.ts); then SIGTERM
 *   to the group and to pyspark's worker daemon (a group of its own); then SIGKILL.
 * - Windows: spark-submit is `spark-submit.cmd`, which Node refuses to spawn without a shell, so it
 *   runs through `cmd.exe /d /s /c` with every argument quoted and its metacharacters escaped
 *   (spark-submit.cmd hands `%*` to a second cmd, so they are escaped twice, as cross-spawn does
 *   for npm's .cmd shims). Stopping is `taskkill /T /F /PID`: Windows has no group signals and a
 *   console job cannot be asked to stop from outside.
 *
 * A watchdog process (watchdog.ts) stops the job when the extension host that started it dies,
 * however it dies; the host's own stop goes through it too.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { Writable } from 'node:stream';

/** How a command is started on a platform. */
export interface SpawnSpec {
  readonly file: string;
  readonly args: readonly string[];
  /** POSIX: a process group of its own, so it can be stopped as a whole. */
  readonly detached: boolean;
  /** Windows: the arguments are already quoted for cmd.exe. */
  readonly windowsVerbatimArguments: boolean;
}

// cmd.exe's metacharacters (https://www.robvanderwoude.com/escapechars.php), as cross-spawn escapes them.
const CMD_META = /([()\][%!^"`<>&|;, *?])/g;

/**
 * One argument for cmd.exe: backslashes before a quote or the end doubled and quotes escaped (the
 * C runtime's rules, https://qntm.org/cmd), the whole quoted, then cmd's metacharacters escaped
 * with `^` (twice when the command hands its arguments to another cmd).
 */
export function cmdArgument(arg: string, twice: boolean): string {
  let a = arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, '$1$1');
  a = `"${a}"`.replace(CMD_META, '^$1');
  return twice ? a.replace(CMD_META, '^$1') : a;
}

/** How to spawn `command args` on `platform` (`comSpec`: Windows' %ComSpec%). */
export function spawnSpec(command: string, args: readonly string[], platform: string, comSpec?: string): SpawnSpec {
  if (platform !== 'win32') return { file: command, args, detached: true, windowsVerbatimArguments: false };
  if (/\.(exe|com)$/i.test(command)) return { file: command, args, detached: false, windowsVerbatimArguments: false };
  const file = path.win32.normalize(command);
  // spark-submit.cmd runs `cmd /V /E /C "spark-submit2.cmd %*"`: its arguments are parsed twice.
  const twice = /(^|\\)spark-submit\.cmd$/i.test(file);
  const line = [file.replace(CMD_META, '^$1'), ...args.map((a) => cmdArgument(a, twice))].join(' ');
  return { file: comSpec || 'cmd.exe', args: ['/d', '/s', '/c', `"${line}"`], detached: false, windowsVerbatimArguments: true };
}

/** One row of `ps -A -o pid= -o ppid= -o args=`. */
export interface ProcessRow {
  readonly pid: number;
  readonly ppid: number;
  readonly args: string;
}

export function parsePs(text: string): ProcessRow[] {
  const out: ProcessRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s?(.*)$/.exec(line);
    if (m) out.push({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] });
  }
  return out;
}

/** Every process below `root` (children, their children…). */
export function descendants(rows: readonly ProcessRow[], root: number): ProcessRow[] {
  const out: ProcessRow[] = [];
  const seen = new Set([root]);
  for (let i = -1; i < out.length; i++) {
    const parent = i < 0 ? root : out[i].pid;
    for (const r of rows) {
      if (r.ppid === parent && !seen.has(r.pid)) {
        seen.add(r.pid);
        out.push(r);
      }
    }
  }
  return out;
}

/**
 * The Python driver of a job: a Python child of spark-submit's JVM. pyspark's worker daemon
 * (`-m pyspark.daemon`) is a child too; it leaves when the JVM does and is not signalled first.
 */
export function driverPids(rows: readonly ProcessRow[], leader: number): number[] {
  return rows.filter((r) => r.ppid === leader && /python/i.test(r.args) && !/pyspark\.daemon/.test(r.args)).map((r) => r.pid);
}

/** What stopping needs from the system (a recording fake in unit tests). */
export interface TreeOps {
  readonly platform: string;
  /** Sends a signal (0: only checks); false when there is no such process or group. */
  signal(pid: number, sig: NodeJS.Signals | 0): boolean;
  processes(): ProcessRow[];
  taskkill(pid: number): void;
  sleep(ms: number): Promise<void>;
}

export interface StopGrace {
  /** How long the Python driver has to stop Spark after SIGINT. */
  readonly driverMs: number;
  /** How long the group has after SIGTERM. */
  readonly termMs: number;
}

export const STOP_GRACE: StopGrace = { driverMs: 15_000, termMs: 10_000 };

export type StopOutcome = 'gone' | 'driver' | 'term' | 'kill' | 'taskkill';

/** Stops the job whose leader is `pid`; resolves with the step that ended it. */
export async function stopTree(pid: number, ops: TreeOps, grace: StopGrace = STOP_GRACE): Promise<StopOutcome> {
  if (ops.platform === 'win32') {
    ops.taskkill(pid);
    return 'taskkill';
  }
  if (!ops.signal(-pid, 0) && !ops.signal(pid, 0)) return 'gone';
  // Taken before anything ends: orphans lose their parent link.
  const rows = ops.processes();
  const tree = descendants(rows, pid).map((r) => r.pid);
  const alive = () => ops.signal(-pid, 0) || ops.signal(pid, 0) || tree.some((p) => ops.signal(p, 0));
  const waitGone = async (ms: number) => {
    for (let waited = 0; waited < ms; waited += 250) {
      if (!alive()) return true;
      await ops.sleep(250);
    }
    return !alive();
  };
  const drivers = driverPids(rows, pid);
  for (const d of drivers) ops.signal(d, 'SIGINT');
  if (drivers.length > 0 && (await waitGone(grace.driverMs))) return 'driver';
  const all = (sig: NodeJS.Signals) => {
    if (!ops.signal(-pid, sig)) ops.signal(pid, sig);
    for (const p of tree) ops.signal(p, sig);
  };
  all('SIGTERM');
  if (await waitGone(grace.termMs)) return 'term';
  all('SIGKILL');
  return 'kill';
}

/** The real system. */
export const nodeTreeOps: TreeOps = {
  platform: process.platform,
  signal(pid, sig) {
    try {
      process.kill(pid, sig);
      return true;
    } catch {
      // ESRCH: gone. EPERM: a pid reused by someone else's process, not ours to signal: gone too.
      return false;
    }
  },
  processes() {
    try {
      return parsePs(execFileSync('ps', ['-A', '-o', 'pid=', '-o', 'ppid=', '-o', 'args='], { encoding: 'utf8', timeout: 5_000, maxBuffer: 16 << 20 }));
    } catch {
      return [];
    }
  },
  taskkill(pid) {
    spawnSync('taskkill', ['/T', '/F', '/PID', String(pid)], { windowsHide: true, timeout: 30_000 });
  },
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export interface JobOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** The whole environment of the job. */
  readonly env: NodeJS.ProcessEnv;
  /**
   * The watchdog: `node` runs `script` (watchdog.js), which stops the job when this process
   * dies. VS Code's extension host is Electron: ELECTRON_RUN_AS_NODE makes it a plain Node.
   */
  readonly watchdog?: { readonly script: string; readonly node: string };
}

export interface Job {
  readonly pid: number | undefined;
  readonly child: ChildProcess;
  /** Resolves when the job's leader ended: exit code, or null and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Asks for the job to stop (see the file's comment); returns at once. */
  stop(): void;
}

/** Starts a job with its stdout and stderr piped, and its watchdog. */
export function startJob(o: JobOptions): Job {
  const spec = spawnSpec(o.command, o.args, process.platform, process.env.ComSpec);
  const child = spawn(spec.file, [...spec.args], {
    cwd: o.cwd,
    env: o.env,
    detached: spec.detached,
    windowsVerbatimArguments: spec.windowsVerbatimArguments,
    windowsHide: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
    // Never started (no such file): 'close' follows 'error' in Node; a missing pid is the sign.
    child.on('error', () => {
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
  });
  const watchdog = o.watchdog && child.pid !== undefined ? startWatchdog(o.watchdog, child.pid) : undefined;
  let stopping = false;
  return {
    pid: child.pid,
    child,
    exited,
    stop() {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null && watchdog.stdin?.writable) {
        (watchdog.stdin as Writable).write('stop\n');
        return;
      }
      if (stopping) return;
      stopping = true;
      void stopTree(child.pid, nodeTreeOps);
    },
  };
}

function startWatchdog(w: { script: string; node: string }, jobPid: number): ChildProcess | undefined {
  try {
    const wd = spawn(w.node, [w.script, String(process.pid), String(jobPid)], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      // Its own group: a signal to the host's group (a terminal's Ctrl+C, a script's kill) does
      // not reach it, so it outlives the host and stops the job.
      detached: true,
      windowsHide: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    wd.on('error', () => undefined);
    wd.stdin?.on('error', () => undefined);
    // Neither keeps this process alive (a test runner, a host shutting down).
    wd.unref();
    (wd.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return wd;
  } catch {
    return undefined;
  }
}
