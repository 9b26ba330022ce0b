/**
 * A Run File job's lifecycle against a real Spark (POSIX; Windows' taskkill path cannot run
 * here): the job is started exactly as the extension starts it (launcher/jobProcess.ts's
 * startJob, with the watchdog), by a stand-in for the extension host, a Node process of its own.
 *
 * - Killed host (SIGKILL: no deactivate, as when the demo's Ctrl+C takes code-server down): the
 *   watchdog stops the job; its JVM, its Python driver and workers and its UI port are gone.
 * - Stop (the tree's and the palette's Stop, a closed terminal, deactivate): the same, and the
 *   event log is closed, because the Python driver is stopped first.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { alive, freePort, getJson, isPortFree, REPO, venv, waitFor } from './env';
import { descendants, parsePs } from '../../src/launcher/jobProcess';
import { buildSubmitCommand } from '../../src/launcher/submitCommand';
import { interpreterEnv } from '../../src/launcher/pythonPaths';

const FILE = join(REPO, 'test', 'fixtures', 'runfile', 'which_python.py');
const tmp = mkdtempSync(join(tmpdir(), 'so-life-'));
const v = venv('4.3.0');

/** The stand-in host: starts the job with startJob and prints its pid; stop on "stop" from stdin. */
const HOST = join(tmp, 'host.js');
writeFileSync(
  HOST,
  `const { startJob } = require(${JSON.stringify(join(REPO, 'out', 'src', 'launcher', 'jobProcess.js'))});
const o = JSON.parse(process.argv[2]);
const job = startJob({ ...o, watchdog: { script: ${JSON.stringify(join(REPO, 'dist', 'watchdog.js'))}, node: process.execPath } });
job.child.stdout.pipe(process.stdout);
job.child.stderr.pipe(process.stderr);
console.log('JOB_PID ' + job.pid);
process.stdin.on('data', (d) => { if (String(d).includes('stop')) job.stop(); });
job.exited.then(({ code, signal }) => { console.log('JOB_EXIT ' + code + ' ' + signal); process.exit(0); });
`,
);

const hosts: ChildProcess[] = [];
const jobPids: number[] = [];
after(async () => {
  for (const h of hosts) if (h.exitCode === null) h.kill('SIGKILL');
  // Whatever a failed test left: the job's group.
  for (const p of jobPids) {
    try {
      process.kill(-p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

interface Started {
  readonly host: ChildProcess;
  readonly jobPid: number;
  readonly uiPort: number;
  readonly eventLogDir: string;
  output(): string;
}

async function startHosted(name: string): Promise<Started> {
  const uiPort = await freePort();
  const eventLogDir = join(tmp, name, 'eventlog');
  mkdirSync(eventLogDir, { recursive: true });
  const cmd = buildSubmitCommand({
    sparkSubmit: v.sparkSubmit, file: FILE, master: 'local[1]', uiPort, eventLogDir, hookDir: join(REPO, 'src', 'launcher', 'python'), python: v.python,
    extraConf: { 'spark.driver.memory': '512m', 'spark.ui.showConsoleProgress': 'false' }, env: { HOLD_SECONDS: '300' },
  });
  const env = { ...process.env, ...interpreterEnv({ python: v.python, sparkHome: dirname(dirname(v.sparkSubmit)), baseEnv: process.env, platform: process.platform }), ...cmd.env };
  const host = spawn(process.execPath, [HOST, JSON.stringify({ command: cmd.command, args: cmd.args, cwd: tmp, env })], { stdio: ['pipe', 'pipe', 'pipe'] });
  hosts.push(host);
  let out = '';
  host.stdout!.on('data', (d) => (out += d));
  host.stderr!.on('data', (d) => (out += d));
  const jobPid = await waitFor(async () => Number(/JOB_PID (\d+)/.exec(out)?.[1]) || undefined, { what: 'the job\'s pid', timeoutMs: 30_000 });
  jobPids.push(jobPid);
  // Holding: the session is up, its UI answers and a Python worker has run.
  await waitFor(async () => {
    if (host.exitCode !== null) throw new Error(`the host ended:\n${out.slice(-3000)}`);
    return /^holding$/m.test(out) ? true : undefined;
  }, { what: 'the job to hold', timeoutMs: 300_000, intervalMs: 500 });
  const apps = await getJson<{ id: string }[]>(`http://127.0.0.1:${uiPort}/api/v1/applications`);
  assert.equal(apps.length, 1);
  return { host, jobPid, uiPort, eventLogDir, output: () => out };
}

const ps = () => parsePs(execFileSync('ps', ['-A', '-o', 'pid=', '-o', 'ppid=', '-o', 'args='], { encoding: 'utf8' }));

/** The job's watchdog: `node …/dist/watchdog.js HOST JOB`. */
function watchdogOf(s: Started): number {
  const wd = ps().find((r) => r.args.includes('watchdog.js') && r.args.endsWith(` ${s.host.pid} ${s.jobPid}`));
  assert.ok(wd, `a watchdog for job ${s.jobPid}`);
  return wd.pid;
}

/** The job's processes now: the JVM, everything below it, and its process group. */
function jobProcesses(jobPid: number): number[] {
  const rows = ps();
  const group = execFileSync('ps', ['-A', '-o', 'pid=', '-o', 'pgid='], { encoding: 'utf8' }).split('\n').map((l) => l.trim().split(/\s+/).map(Number)).filter(([, g]) => g === jobPid).map(([p]) => p);
  return [...new Set([jobPid, ...descendants(rows, jobPid).map((r) => r.pid), ...group])];
}

async function assertAllGone(s: Started, pids: readonly number[]): Promise<void> {
  await waitFor(async () => (pids.every((p) => !alive(p)) ? true : undefined), { what: `the job's processes ${pids.join(', ')} to end`, timeoutMs: 90_000 });
  await waitFor(async () => ((await isPortFree(s.uiPort)) ? true : undefined), { what: `UI port ${s.uiPort} to be free`, timeoutMs: 30_000 });
}

/** The application's event log is closed (4.x: appstatus_<id> without .inprogress). */
function eventLogClosed(dir: string): boolean {
  const logs = readdirSync(dir).filter((n) => n.startsWith('eventlog_v2_'));
  assert.equal(logs.length, 1, `one event log in ${dir}: ${readdirSync(dir).join(', ')}`);
  const files = readdirSync(join(dir, logs[0]));
  return files.some((f) => f.startsWith('appstatus_') && !f.endsWith('.inprogress'));
}

describe('a Run File job\'s lifecycle (pyspark 4.3.0, local[1])', () => {
  test('the host is killed without a word: the watchdog stops the job; no process, no port left', async () => {
    const s = await startHosted('killed');
    const pids = jobProcesses(s.jobPid);
    assert.ok(pids.length >= 3, `the JVM, its Python driver and a worker daemon: ${pids.join(', ')}`);
    const watchdog = watchdogOf(s);
    s.host.kill('SIGKILL');
    await assertAllGone(s, [...pids, watchdog]);
    assert.ok(eventLogClosed(s.eventLogDir), 'the event log was closed: the Python driver went first');
  });

  test('Stop: the Python driver first, the event log closed, no process, no port left', async () => {
    const s = await startHosted('stopped');
    const pids = [...jobProcesses(s.jobPid), watchdogOf(s)];
    s.host.stdin!.write('stop\n');
    await waitFor(async () => (/JOB_EXIT/.test(s.output()) ? true : undefined), { what: 'the job to end', timeoutMs: 90_000 });
    await assertAllGone(s, pids);
    assert.ok(eventLogClosed(s.eventLogDir));
    assert.ok(existsSync(s.eventLogDir));
  });
});
