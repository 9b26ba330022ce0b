/**
 * Starts and stops Spark's own History Server, from the pyspark installation Run File runs jobs
 * with (pip's pyspark carries the whole distribution: `bin/spark-class` and the jars), for a
 * user who has none (DESIGN.md F10). As the local Spark environment of the scripts starts its
 * own: loopback only (SPARK_LOCAL_IP), an empty SPARK_CONF_DIR of ours so no stray
 * spark-defaults.conf or log4j2.properties sneaks in, a small daemon heap, a short update
 * interval (a finished run is listed within seconds), no cleaner (the user's event logs are
 * never deleted by us). The UI port is 0: the JVM binds a free one itself (no race with another
 * process between choosing and binding) and logs it, and we read it from the log.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHttpClient } from './http';
import { fileUrl } from '../launcher/submitCommand';
import { isAlive, isGroupAlive } from '../launcher/processes';

export interface HistoryServerOptions {
  /** The pyspark (or Spark) folder holding bin/spark-class. */
  readonly sparkHome: string;
  /** The event-log folder it reads. */
  readonly logDir: string;
  /** A folder of ours: its empty conf/ and its log. */
  readonly workDir: string;
  /** spark.history.fs.update.interval (default 2s). */
  readonly updateInterval?: string;
  /** SPARK_DAEMON_MEMORY (default 384m: a few hundred small applications). */
  readonly memory?: string;
  /** How long it may take to answer (a JVM on a busy 2-core machine: tens of seconds). */
  readonly startTimeoutMs?: number;
  /** Extra environment (tests tag the process). */
  readonly env?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

export interface RunningHistoryServer {
  readonly url: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has ended. */
  readonly exited: Promise<void>;
  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves when it has ended. */
  stop(graceMs?: number): Promise<void>;
}

export class HistoryServerFailed extends Error {}

const BOUND = /Successfully started service '?HistoryServerUI'? on port (\d+)/;

/** The last lines of its log, for an error message. */
function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Starts it; resolves once /api/v1/applications answers JSON on its port. */
export async function startHistoryServer(o: HistoryServerOptions): Promise<RunningHistoryServer> {
  const confDir = join(o.workDir, 'conf');
  mkdirSync(confDir, { recursive: true });
  mkdirSync(o.logDir, { recursive: true });
  const logFile = join(o.workDir, 'history-server.log');
  const fd = openSync(logFile, 'w');
  const opts = [
    `-Dspark.history.fs.logDirectory=${fileUrl(o.logDir)}`,
    '-Dspark.history.ui.port=0',
    `-Dspark.history.fs.update.interval=${o.updateInterval ?? '2s'}`,
    '-Dspark.history.fs.cleaner.enabled=false',
    // Its own small UI: no retained-application cache beyond what a laptop needs.
    '-Dspark.history.retainedApplications=20',
  ].join(' ');
  const child = spawn(join(o.sparkHome, 'bin', 'spark-class'), ['org.apache.spark.deploy.history.HistoryServer'], {
    env: {
      ...process.env,
      SPARK_HOME: o.sparkHome,
      SPARK_CONF_DIR: confDir,
      SPARK_LOCAL_IP: '127.0.0.1',
      SPARK_DAEMON_MEMORY: o.memory ?? '384m',
      SPARK_HISTORY_OPTS: opts,
      SPARK_LOG_DIR: o.workDir,
      SPARK_PID_DIR: o.workDir,
      ...o.env,
    },
    // Its own process group: stopping it stops the JVM and the launcher script together.
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const pid = child.pid;
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (!pid) return;
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        /* gone */
      }
    };
    signal('SIGTERM');
    const t = setTimeout(() => signal('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
    // The JVM is spark-class's child in the same group: wait for the group to be gone too.
    for (let i = 0; i < 50 && isGroupAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  };
  if (!pid) {
    const e = await Promise.race([spawnError, new Promise<Error>((r) => setTimeout(() => r(new Error('no process')), 1000))]);
    throw new HistoryServerFailed(`could not start ${join(o.sparkHome, 'bin', 'spark-class')}: ${e.message}`);
  }
  child.unref();

  const deadline = Date.now() + (o.startTimeoutMs ?? 90_000);
  let ended = false;
  void exited.then(() => (ended = true));
  let url: string | undefined;
  for (;;) {
    if (o.signal?.aborted) {
      await stop();
      throw new HistoryServerFailed('cancelled');
    }
    if (ended || !isAlive(pid)) throw new HistoryServerFailed(`Spark's History Server exited while starting:\n${tail(logFile)}`);
    if (!url) {
      const m = BOUND.exec(tail(logFile, 400));
      if (m) url = `http://127.0.0.1:${m[1]}`;
    }
    if (url && (await answers(url))) return { url, pid, logFile, exited, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new HistoryServerFailed(`Spark's History Server did not answer within ${Math.round((o.startTimeoutMs ?? 90_000) / 1000)} s:\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const http = await createHttpClient({ baseUrl: url, timeoutMs: 3000 });
    return Array.isArray(await http.getJson('api/v1/applications', { params: { limit: 1 } }));
  } catch {
    return false;
  }
}
