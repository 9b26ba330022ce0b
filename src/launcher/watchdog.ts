/**
 * The watchdog of one job (watchdogMain.ts, bundled as dist/watchdog.js, run by the extension
 * host's own Node):
 *
 *     node dist/watchdog.js HOST_PID JOB_PID
 *
 * It stops the job (jobProcess.ts's stopTree: the Python driver first, then the group) when the
 * host asks ("stop" on stdin), when the host dies however it dies (its end of stdin closes; on
 * POSIX this process is also handed to another parent; the host's pid stops answering), or when
 * this watchdog is told to end. It exits once the job has ended. Without it, a job started from a
 * VS Code window whose server was killed (the demo's Ctrl+C) kept its JVM, its Python workers and
 * its UI port.
 */
import { nodeTreeOps, stopTree, TreeOps } from './jobProcess';

export interface WatchdogIo {
  readonly ops: TreeOps;
  /** This process's parent pid now (POSIX hands an orphan to another parent). */
  readonly ppid: () => number;
  readonly onStdin: (onData: (text: string) => void, onEnd: () => void) => void;
  readonly onTerminate: (handler: () => void) => void;
  readonly setInterval: (fn: () => void, ms: number) => void;
  readonly exit: (code: number) => void;
}

/** Runs the watchdog; `argv` is [hostPid, jobPid]. */
export function watchdog(argv: readonly string[], io: WatchdogIo, pollMs = 1_000): void {
  const host = Number(argv[0]);
  const job = Number(argv[1]);
  if (!Number.isInteger(host) || !Number.isInteger(job) || host <= 0 || job <= 0) {
    io.exit(2);
    return;
  }
  const posix = io.ops.platform !== 'win32';
  const jobAlive = () => (posix ? io.ops.signal(-job, 0) || io.ops.signal(job, 0) : io.ops.signal(job, 0));
  const hostGone = () => (posix && io.ppid() !== host) || !io.ops.signal(host, 0);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void stopTree(job, io.ops).finally(() => io.exit(0));
  };
  io.onStdin((text) => {
    if (/\bstop\b/.test(text)) stop();
  }, stop);
  io.onTerminate(stop);
  io.setInterval(() => {
    if (stopping) return;
    if (!jobAlive()) io.exit(0);
    else if (hostGone()) stop();
  }, pollMs);
}

/** The real process's wiring. */
export function processIo(): WatchdogIo {
  return {
    ops: nodeTreeOps,
    ppid: () => process.ppid,
    onStdin: (onData, onEnd) => {
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', onData);
      process.stdin.on('end', onEnd);
      process.stdin.on('close', onEnd);
      process.stdin.on('error', onEnd);
    },
    onTerminate: (handler) => {
      for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, handler);
    },
    setInterval: (fn, ms) => void setInterval(fn, ms),
    exit: (code) => process.exit(code),
  };
}
