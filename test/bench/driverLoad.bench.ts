/**
 * What polling costs a live driver (DESIGN.md: ≤ 1 % of one core at the default interval, 3 s).
 *
 * Against a REAL Spark: long_running.py in local[2] (sparkJob.ts), after its rounds of work,
 * holding its session (cached dataset, UI, Prometheus scraping it every 2 s). The driver JVM's
 * CPU time (utime + stime of /proc/<pid>/stat, all its threads) is read over alternating windows
 * without and with a Store watching the application exactly as the extension does while its node
 * is expanded (the driver configured as a source, discovery off, refresh 3 s, the store's own
 * timer; "off" is the store's unfocused state, which stops its timer). Windows run in ABBA order
 * (off, on, on, off, …) so a slow drift of the baseline cancels out.
 *
 * Reported: the driver CPU added per poll (on-window CPU minus the off-window rate, divided by
 * the polls made) and what that is at one poll per 3 s, as % of one core; the spread of the
 * per-window estimates is the noise. SO_BENCH_DRIVER_WINDOW_S (20) and SO_BENCH_DRIVER_WINDOWS
 * (8) set the windows.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createHttpClient, HttpClient } from '../../src/sources/http';
import { Store } from '../../src/store/store';
import { getJson, waitFor } from '../integration/env';
import { BenchResult, mean, median, progress, round, runAlone, sleep, stddev } from './common';
import { sharedLongRunningJob } from './sparkJob';
import { releaseAll } from './sparkEnv';

const BUDGET_PERCENT = 1;
const INTERVAL_MS = 3000;
const REQUESTS_EACH = 20;

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

interface Window {
  readonly on: boolean;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly polls: number;
  readonly requests: number;
  readonly bytes: number;
}

export async function run(): Promise<BenchResult[]> {
  const windowS = Number(process.env.SO_BENCH_DRIVER_WINDOW_S ?? 20);
  const windows = Number(process.env.SO_BENCH_DRIVER_WINDOWS ?? 8);
  const shared = await sharedLongRunningJob();
  const ticks = clockTicks();
  const pid = shared.jvmPid;

  // Wait for the rounds to end: a driver running jobs swings by tens of % and would drown 1 %.
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
  progress('driverLoad', `driver ${pid} idle after ${jobsDone} jobs / ${stagesDone} stages; ${windows} windows of ${windowS} s (ABBA)…`);

  let requests = 0;
  let polls = 0;
  let bytes = 0;
  // Requests on their way: a window ends only when they have landed (see allLanded).
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const landed = () => {
    if (inFlight === 0) for (const w of waiting.splice(0)) w();
  };
  const allLanded = () => new Promise<void>((resolve) => {
    waiting.push(resolve);
    landed();
  });
  const tracked = async <T>(req: () => Promise<T>): Promise<T> => {
    requests++;
    inFlight++;
    try {
      return await req();
    } finally {
      inFlight--;
      landed();
    }
  };
  const counting = (inner: HttpClient): HttpClient => ({
    baseUrl: inner.baseUrl,
    getText: (path, o) =>
      tracked(async () => {
        const v = await inner.getText(path, o);
        bytes += v.length;
        return v;
      }),
    getJson: (path, o) =>
      tracked(async () => {
        if (path === 'api/v1/applications') polls++;
        const v = await inner.getJson(path, o);
        bytes += JSON.stringify(v).length;
        return v;
      }),
    head: (path, o) => tracked(() => inner.head(path, o)),
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
  const results: Window[] = [];
  const perRequestMs: Record<string, number> = {};
  const baselineRate = () => {
    const off = results.filter((r) => !r.on);
    return off.reduce((a, r) => a + r.cpuSeconds, 0) / Math.max(1e-9, off.reduce((a, r) => a + r.seconds, 0));
  };
  try {
    // The extension's state while someone looks at the application: view visible, node expanded.
    store.setFocused(false);
    store.start();
    store.setViewVisible(true);
    await store.refresh();
    const key = store.applications().find((e) => e.app.id === shared.appId)?.key;
    if (!key) throw new Error(`the store does not list ${shared.appId}`);
    store.watch(key);
    // Warm-up: the environment, the task summaries of finished stages, the JIT of the REST paths.
    store.setFocused(true);
    const warm = polls + 8;
    await waitFor(() => polls >= warm || undefined, { what: '8 warm-up polls', timeoutMs: 60 * INTERVAL_MS, intervalMs: INTERVAL_MS / 4 });
    await allLanded();
    store.setFocused(false);
    // Settle: the driver's CPU still decays for a while after its last job (GC, JIT). A
    // measured duration, like the windows below, not a wait for something to happen.
    await sleep(10_000);

    for (let w = 0; w < windows; w++) {
      const on = w % 4 === 1 || w % 4 === 2; // off, on, on, off, …
      const r0 = requests;
      const p0 = polls;
      const b0 = bytes;
      const c0 = cpuSeconds(pid, ticks);
      const t0 = Date.now();
      if (on) store.setFocused(true);
      await sleep(windowS * 1000);
      if (on) store.setFocused(false);
      const c1 = cpuSeconds(pid, ticks);
      const t1 = Date.now();
      results.push({ on, seconds: (t1 - t0) / 1000, cpuSeconds: c1 - c0, polls: polls - p0, requests: requests - r0, bytes: bytes - b0 });
      const last = results[results.length - 1];
      progress('driverLoad', `window ${w + 1}/${windows} ${on ? 'polling' : 'idle   '}: driver ${round((100 * last.cpuSeconds) / last.seconds, 2)} % of a core, ${last.polls} polls`);
      // An on-window's last poll may still be in flight: it lands before the next window.
      if (on) await allLanded();
    }
    // Which answer costs the driver what: each request of a poll alone, REQUESTS_EACH times in a
    // row, the driver's CPU over that burst minus its idle rate, per request.
    const detail = store.detail(key)?.detail;
    const summaryOf = detail?.stages?.find((st) => st.status === 'COMPLETE' && st.numTasks >= 2);
    const app = `api/v1/applications/${encodeURIComponent(shared.appId)}`;
    const paths: Record<string, string> = {
      applications: 'api/v1/applications',
      allexecutors: `${app}/allexecutors`,
      jobs: `${app}/jobs`,
      'stages?details=false': `${app}/stages?details=false`,
      'storage/rdd': `${app}/storage/rdd`,
      ...(summaryOf ? { taskSummary: `${app}/stages/${summaryOf.stageId}/${summaryOf.attemptId}/taskSummary?quantiles=0.5,0.75,0.95,1` } : {}),
      environment: `${app}/environment`,
    };
    const direct = createHttpClient({ baseUrl: shared.uiUrl, timeoutMs: 10_000 });
    for (const [name, p] of Object.entries(paths)) {
      const c0 = cpuSeconds(pid, ticks);
      const t0 = Date.now();
      for (let i = 0; i < REQUESTS_EACH; i++) await direct.getJson(p);
      const c1 = cpuSeconds(pid, ticks);
      perRequestMs[name] = ((c1 - c0 - baselineRate() * ((Date.now() - t0) / 1000)) / REQUESTS_EACH) * 1000;
    }
  } finally {
    store.dispose();
  }

  const off = results.filter((r) => !r.on);
  const on = results.filter((r) => r.on);
  const offRate = off.reduce((a, r) => a + r.cpuSeconds, 0) / off.reduce((a, r) => a + r.seconds, 0);
  // Per on-window: CPU above the off rate, per poll, then as a share of a core at one poll per 3 s.
  const perPollMs = on.map((r) => ((r.cpuSeconds - offRate * r.seconds) / Math.max(1, r.polls)) * 1000);
  const addedPercent = perPollMs.map((ms) => (ms / INTERVAL_MS) * 100);
  const totalPolls = on.reduce((a, r) => a + r.polls, 0);
  const overallPerPollMs = ((on.reduce((a, r) => a + r.cpuSeconds, 0) - offRate * on.reduce((a, r) => a + r.seconds, 0)) / Math.max(1, totalPolls)) * 1000;
  const offPercents = off.map((r) => (100 * r.cpuSeconds) / r.seconds);
  const onPercents = on.map((r) => (100 * r.cpuSeconds) / r.seconds);
  const reqPerPoll = on.reduce((a, r) => a + r.requests, 0) / Math.max(1, totalPolls);
  const kbPerPoll = on.reduce((a, r) => a + r.bytes, 0) / Math.max(1, totalPolls) / 1024;
  return [
    {
      name: 'driverLoad: driver CPU added by polling at the default 3 s interval',
      value: round((overallPerPollMs / INTERVAL_MS) * 100, 3),
      unit: '% of a core',
      budget: BUDGET_PERCENT,
      note: `long_running.py, local[2], driver JVM pid ${pid} idle after ${jobsDone} jobs / ${stagesDone} stages; ${windows} windows of ${windowS} s (ABBA); per on-window estimates ${addedPercent.map((p) => round(p, 3)).join(', ')} % (mean ${round(mean(addedPercent), 3)}, sd ${round(stddev(addedPercent), 3)}); CPU from /proc/<pid>/stat at ${ticks} ticks/s`,
    },
    { name: 'driverLoad: driver CPU per poll (REST answers for one watched application)', value: round(overallPerPollMs, 2), unit: 'ms', note: `${round(reqPerPoll, 2)} requests and ${round(kbPerPoll, 1)} KB of JSON per poll; ${totalPolls} polls measured` },
    {
      name: 'driverLoad: driver CPU of one poll, from per-request costs (4 lists + 1 task summary)',
      value: round(['applications', 'allexecutors', 'jobs', 'stages?details=false', 'storage/rdd', 'taskSummary'].reduce((a, k) => a + (perRequestMs[k] ?? 0), 0), 2),
      unit: 'ms',
      note: `driver CPU per request, ${REQUESTS_EACH} in a row each, idle rate subtracted: ${Object.entries(perRequestMs).map(([k, v]) => `${k} ${round(v, 2)} ms`).join(', ')}; the environment is read once per application`,
    },
    { name: 'driverLoad: idle driver CPU without polling (baseline), mean of windows', value: round(mean(offPercents), 3), unit: '% of a core', note: `off windows ${offPercents.map((p) => round(p, 2)).join(', ')} % (sd ${round(stddev(offPercents), 3)}): the noise the added figure is read against` },
    { name: 'driverLoad: idle driver CPU with polling, mean of windows', value: round(mean(onPercents), 3), unit: '% of a core', note: `on windows ${onPercents.map((p) => round(p, 2)).join(', ')} %` },
    { name: 'driverLoad: noise, sd of the off windows', value: round(stddev(offPercents), 3), unit: '% of a core' },
    { name: 'driverLoad: per-window estimates of the added CPU, median', value: round(median(addedPercent), 3), unit: '% of a core', budget: BUDGET_PERCENT },
  ];
}

if (require.main === module) runAlone(run, releaseAll);
