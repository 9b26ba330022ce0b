/**
 * What polling costs a live driver (DESIGN.md: ≤ 0.5 % of one core at the default interval, the
 * mean of at least 8 ABBA windows with its sd).
 *
 * Against a REAL Spark: long_running.py in local[2] (sparkJob.ts), after its rounds of work,
 * holding its session (cached dataset, UI, Prometheus scraping it every 2 s). The driver JVM's
 * CPU time (utime + stime of /proc/<pid>/stat, all its threads) is read over windows without (A)
 * and with (B) a Store polling the application as the extension does while the Spark view shows
 * it: the driver configured as a source (discovery off), the default 3 s refresh interval, the
 * store's own timers, the application's node expanded with its executor list closed (the tree's
 * jobs, stages and environment) and the status bar's light watch. A is the store's unfocused
 * state, which stops its timers.
 *
 * Windows come in blocks A B B A, so a slow drift of the driver's own CPU cancels out; each B
 * window gives one estimate: its CPU above the mean rate of its block's two A windows, per poll,
 * as a share of one core at one poll per 3 s. Reported: the mean of the estimates, their sd, and
 * every window. SO_BENCH_DRIVER_BLOCKS (4: 8 estimates, 16 windows) and SO_BENCH_DRIVER_WINDOW_S
 * (15) set the windows.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createHttpClient, HttpClient, parseJsonText, RequestOptions } from '../../src/sources/http';
import { Store } from '../../src/store/store';
import { getJson, waitFor } from '../integration/env';
import { abbaEstimates, CpuWindow } from './abba';
import { BenchResult, mean, progress, round, runAlone, sleep, stddev } from './common';
import { sharedLongRunningJob } from './sparkJob';
import { releaseAll } from './sparkEnv';

const BUDGET_PERCENT = 0.5;
const INTERVAL_MS = 3000;
const REQUESTS_EACH = 20;
/**
 * What the previous release (9c39d4d, src/store.ts fetchDetail) asked a watched application's
 * driver every poll, whatever was open: the application list and four whole lists (plus the
 * environment once, and task summaries until it had them all).
 */
const PREVIOUS_POLL = ['applications', 'allexecutors', 'storage/rdd', 'jobs', 'stages?details=false'];

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** CPU seconds (user + system, all threads) of a process so far. */
function cpuSeconds(pid: number, ticks: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime) are at 11 and 12 after "pid (comm) ".
  return (Number(f[11]) + Number(f[12])) / ticks;
}

interface Window extends CpuWindow {
  readonly requests: number;
  readonly bytes: number;
}

const pct = (w: Window) => (100 * w.cpuSeconds) / w.seconds;

export async function run(): Promise<BenchResult[]> {
  const windowS = Number(process.env.SO_BENCH_DRIVER_WINDOW_S ?? 15);
  const blocks = Number(process.env.SO_BENCH_DRIVER_BLOCKS ?? 4);
  const shared = await sharedLongRunningJob();
  const ticks = clockTicks();
  const pid = shared.jvmPid;

  // Wait for the rounds to end: a driver running jobs swings by tens of % and would drown 0.5 %.
  // Idle: past the rounds' end, no job running and no new job for 10 s (rounds pause 2 s).
  let last = -1;
  let stableSince = Date.now();
  await waitFor(async () => {
    const jobs = await getJson<{ status: string }[]>(`${shared.uiUrl}/api/v1/applications/${shared.appId}/jobs`).catch(() => []);
    if (jobs.length !== last || jobs.some((j) => j.status === 'RUNNING')) {
      last = jobs.length;
      stableSince = Date.now();
    }
    return (Date.now() >= shared.roundsEndAt && jobs.length > 0 && Date.now() - stableSince >= 10_000) || undefined;
  }, { what: 'the job to go idle', timeoutMs: 240_000, intervalMs: 1000 });
  const jobsDone = (await getJson<unknown[]>(`${shared.uiUrl}/api/v1/applications/${shared.appId}/jobs`)).length;
  const stagesDone = (await getJson<unknown[]>(`${shared.uiUrl}/api/v1/applications/${shared.appId}/stages`)).length;
  progress('driverLoad', `driver ${pid} idle after ${jobsDone} jobs / ${stagesDone} stages; ${blocks} ABBA blocks of ${windowS} s windows…`);

  let requests = 0;
  let polls = 0;
  let bytes = 0;
  const byPath = new Map<string, number>();
  // Requests on their way: a window ends when they have landed.
  let inFlight = 0;
  const tracked = async <T>(path: string, params: RequestOptions['params'], req: () => Promise<T>): Promise<T> => {
    requests++;
    inFlight++;
    const query = Object.entries(params ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`).join('&');
    const kind = `${path.replace(/applications\/[^/]+\//, 'applications/{id}/').replace(/stages\/\d+\/\d+\//, 'stages/{s}/{a}/')}${query && !path.endsWith('taskSummary') ? `?${query}` : ''}`;
    byPath.set(kind, (byPath.get(kind) ?? 0) + 1);
    try {
      return await req();
    } finally {
      inFlight--;
    }
  };
  const counting = (inner: HttpClient): HttpClient => ({
    baseUrl: inner.baseUrl,
    getText: (path, o) =>
      tracked(path, o?.params, async () => {
        const v = await inner.getText(path, o);
        bytes += v.length;
        return v;
      }),
    getJson: (path, o) =>
      tracked(path, o?.params, async () => {
        // One poll of the application starts with the driver's summary (the application list
        // itself is read at the status bar's pace once the driver has listed its application).
        if (path === 'metrics/json/') polls++;
        const v = await inner.getText(path, o);
        bytes += v.length;
        return parseJsonText(v);
      }),
    head: (path, o) => tracked(path, o?.params, () => inner.head(path, o)),
  });
  const store = new Store(
    {
      configured: [{ name: 'driver', url: shared.uiUrl, kind: 'driver' }],
      discovery: { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 },
      refreshIntervalMs: INTERVAL_MS,
      statusBarIntervalMs: 30_000,
      requestTimeoutMs: 5000,
      historyMaxApplications: 20,
    },
    { makeClient: (s, timeoutMs) => counting(createHttpClient({ baseUrl: s.url, caFile: s.caFile, timeoutMs })), log: { info: () => {}, warn: () => {}, error: () => {} } },
  );
  const landed = async () => {
    while (inFlight > 0) await sleep(20);
  };
  const windows: Window[] = [];
  const perRequestMs: Record<string, number> = {};
  try {
    // The extension's state while someone looks at the application: view visible, node expanded
    // (its executor list closed), the status bar's light watch of every live application.
    store.setFocused(false);
    store.start();
    store.setViewVisible(true);
    await store.refresh();
    const key = store.applications().find((e) => e.app.id === shared.appId)?.key;
    if (!key) throw new Error(`the store does not list ${shared.appId}`);
    store.watch(key, { parts: ['jobs', 'stages', 'environment'] });
    store.watch(key, { parts: ['executors', 'storage'], light: true });
    // Warm-up: the environment, the task summaries of finished stages, the JIT of the REST paths.
    store.setFocused(true);
    const warm = polls + 8;
    await waitFor(async () => polls >= warm || undefined, { what: '8 warm-up polls', timeoutMs: 60 * INTERVAL_MS, intervalMs: INTERVAL_MS / 4 });
    store.setFocused(false);
    await landed();
    // Settle: the driver's CPU still decays for a while after its last job (GC, JIT). A
    // measured duration, like the windows below, not a wait for something to happen.
    await sleep(10_000);
    byPath.clear();

    for (let b = 0; b < blocks; b++) {
      for (const on of [false, true, true, false]) {
        const [r0, p0, b0] = [requests, polls, bytes];
        const c0 = cpuSeconds(pid, ticks);
        const t0 = Date.now();
        if (on) store.setFocused(true);
        await sleep(windowS * 1000);
        if (on) {
          store.setFocused(false);
          await landed();
        }
        const c1 = cpuSeconds(pid, ticks);
        const w: Window = { on, block: b, seconds: (Date.now() - t0) / 1000, cpuSeconds: c1 - c0, polls: polls - p0, requests: requests - r0, bytes: bytes - b0 };
        windows.push(w);
        progress('driverLoad', `block ${b + 1}/${blocks} ${on ? 'B polling' : 'A idle   '}: driver ${round(pct(w), 2)} % of a core, ${w.polls} polls, ${w.requests} requests`);
      }
    }
    // Which answer costs the driver what: each request of a poll alone, REQUESTS_EACH times in a
    // row, the driver's CPU over that burst minus its idle rate, per request.
    const off = windows.filter((w) => !w.on);
    const idleRate = off.reduce((a, w) => a + w.cpuSeconds, 0) / off.reduce((a, w) => a + w.seconds, 0);
    const detail = store.detail(key)?.detail;
    const summaryOf = detail?.stages?.find((st) => st.status === 'COMPLETE' && st.numTasks >= 2);
    const app = `api/v1/applications/${encodeURIComponent(shared.appId)}`;
    const paths: Record<string, string> = {
      applications: 'api/v1/applications',
      'metrics/json/': 'metrics/json/',
      'jobs?status=running': `${app}/jobs?status=running`,
      'stages?status=active&details=false': `${app}/stages?status=active&details=false`,
      jobs: `${app}/jobs`,
      'stages?details=false': `${app}/stages?details=false`,
      allexecutors: `${app}/allexecutors`,
      'storage/rdd': `${app}/storage/rdd`,
      ...(summaryOf ? { taskSummary: `${app}/stages/${summaryOf.stageId}/${summaryOf.attemptId}/taskSummary?quantiles=0.5,0.75,0.95,1` } : {}),
      environment: `${app}/environment`,
    };
    const direct = createHttpClient({ baseUrl: shared.uiUrl, timeoutMs: 10_000 });
    for (const [name, p] of Object.entries(paths)) {
      const c0 = cpuSeconds(pid, ticks);
      const t0 = Date.now();
      for (let i = 0; i < REQUESTS_EACH; i++) await direct.getText(p);
      const c1 = cpuSeconds(pid, ticks);
      perRequestMs[name] = ((c1 - c0 - idleRate * ((Date.now() - t0) / 1000)) / REQUESTS_EACH) * 1000;
    }
  } finally {
    store.dispose();
  }

  const on = windows.filter((w) => w.on);
  const off = windows.filter((w) => !w.on);
  const estimates = abbaEstimates(windows, INTERVAL_MS);
  const totalPolls = on.reduce((a, w) => a + w.polls, 0);
  const m = mean(estimates);
  const sd = stddev(estimates);
  const each = windows.map((w) => `${w.block + 1}${w.on ? 'B' : 'A'} ${round(pct(w), 2)}`).join(', ');
  // The same figure from the bursts: the polls' own mix of requests, each at its measured cost.
  const endpoint = (kind: string) => (kind === 'api/v1/applications' ? 'applications' : kind.replace(/^api\/v1\/applications\/\{id\}\//, '').replace(/^stages\/\{s\}\/\{a\}\/taskSummary$/, 'taskSummary'));
  const mixMs = [...byPath.entries()].reduce((a, [kind, count]) => a + (count / Math.max(1, totalPolls)) * (perRequestMs[endpoint(kind)] ?? NaN), 0);
  const previousMs = PREVIOUS_POLL.reduce((a, k) => a + (perRequestMs[k] ?? NaN), 0);
  return [
    {
      name: `driverLoad: driver CPU added by polling at the default 3 s interval, mean of ${estimates.length} ABBA windows`,
      value: round(m, 3),
      unit: '% of a core',
      budget: BUDGET_PERCENT,
      note: `long_running.py, local[2], driver JVM pid ${pid} idle after ${jobsDone} jobs / ${stagesDone} stages; ${blocks} blocks A B B A of ${windowS} s; per polling window (CPU above its block's idle rate, per poll, at one poll per 3 s): ${estimates.map((e) => round(e, 3)).join(', ')} % (sd ${round(sd, 3)}, standard error ${round(sd / Math.sqrt(Math.max(1, estimates.length)), 3)}); every window, driver % of a core: ${each}; CPU from /proc/<pid>/stat at ${ticks} ticks/s`,
    },
    { name: 'driverLoad: sd of the per-window estimates', value: round(sd, 3), unit: '% of a core' },
    {
      name: 'driverLoad: driver CPU added by polling, from per-request costs at the polls\' mix of requests',
      value: round((mixMs / INTERVAL_MS) * 100, 3),
      previous: round((previousMs / INTERVAL_MS) * 100, 3),
      unit: '% of a core',
      note: `${round(mixMs, 2)} ms of driver CPU per poll (the previous release: ${round(previousMs, 2)} ms for its ${PREVIOUS_POLL.join(', ')}); a cross-check of the windows with far less noise (each request's cost measured in a burst, below), blind to what only spacing shows (GC of what the requests left behind)`,
    },
    {
      name: 'driverLoad: requests and JSON per poll (the tree, executor list closed, and the status bar)',
      value: round(on.reduce((a, w) => a + w.requests, 0) / Math.max(1, totalPolls), 2),
      unit: 'requests',
      note: `${round(on.reduce((a, w) => a + w.bytes, 0) / Math.max(1, totalPolls) / 1024, 1)} KB of JSON per poll; ${totalPolls} polls measured; requests made in the polling windows: ${[...byPath.entries()].map(([k, v]) => `${k} ×${v}`).join(', ')}`,
    },
    {
      name: 'driverLoad: driver CPU per request, by endpoint (metrics/json/ + applications = a poll in which nothing changed)',
      value: round((perRequestMs['metrics/json/'] ?? NaN) + (perRequestMs.applications ?? NaN), 2),
      unit: 'ms',
      note: `driver CPU per request, ${REQUESTS_EACH} in a row each, idle rate subtracted: ${Object.entries(perRequestMs).map(([k, v]) => `${k} ${round(v, 2)} ms`).join(', ')}`,
    },
    { name: 'driverLoad: idle driver CPU without polling (A windows), mean', value: round(mean(off.map(pct)), 3), unit: '% of a core', note: `sd ${round(stddev(off.map(pct)), 3)}: the noise the added figure is read against` },
    { name: 'driverLoad: driver CPU with polling (B windows), mean', value: round(mean(on.map(pct)), 3), unit: '% of a core' },
  ];
}

if (require.main === module) runAlone(run, releaseAll);
