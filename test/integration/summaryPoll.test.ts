/**
 * Read only what changed, against real drivers (pyspark 4.3.0 and 3.5.9): the store polls a live
 * application the scheduled way (summary first, lists only when the summary says they changed;
 * at a boundary, the jobs and stages that began or ended by id), while the application runs
 * rounds of jobs; afterwards its jobs and stages equal Spark's own whole lists, figure by figure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { driverApp, getJson, RunningJob, startJob, waitFor } from './env';
import { createHttpClient, HttpClient, RequestOptions } from '../../src/sources/http';
import { Store } from '../../src/store/store';
import type { SourceConfig } from '../../src/model/types';

interface RawJob {
  jobId: number;
  status: string;
  numTasks: number;
  numCompletedTasks: number;
  stageIds: number[];
}
interface RawStage {
  stageId: number;
  attemptId: number;
  status: string;
  numTasks: number;
  numCompleteTasks: number;
  executorRunTime: number;
  shuffleWriteBytes: number;
}

for (const version of ['4.3.0', '3.5.9']) {
  describe(`pyspark ${version}: a live driver polled the scheduled way`, () => {
    let job: RunningJob;
    let appId: string;
    let store: Store;
    const paths: string[] = [];

    before(async () => {
      job = await startJob('long_running.py', { master: 'local[2]', name: `summary-${version}`, env: { PYSPARK_VERSION: version, DURATION_SECONDS: '40', ROWS: '20000', PAUSE_SECONDS: '1', HOLD_SECONDS: '120' } });
      appId = (await driverApp(job.uiUrl)).id;
      store = new Store(
        {
          configured: [{ name: 'driver', url: job.uiUrl, kind: 'driver', group: 'summary' }],
          discovery: { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 },
          refreshIntervalMs: 1000,
          statusBarIntervalMs: 5000,
          requestTimeoutMs: 10_000,
          historyMaxApplications: 10,
        },
        {
          makeClient: (s: SourceConfig, t: number): HttpClient => {
            const inner = createHttpClient({ baseUrl: s.url, timeoutMs: t });
            const note = (p: string, o?: RequestOptions) => paths.push(o?.params?.status ? `${p}?status=${String(o.params.status)}` : p);
            return { ...inner, getText: (p, o) => (note(p, o), inner.getText(p, o)), getJson: (p, o) => (note(p, o), inner.getJson(p, o)) };
          },
          log: { info: () => {}, warn: () => {}, error: () => {} },
        },
      );
    });
    after(async () => {
      store?.dispose();
      await job?.stop();
    });

    test('jobs and stages read by summary and boundaries equal Spark\'s whole lists once the rounds end', async () => {
      const key = `summary|${appId}`;
      await store.pollNow();
      store.watch(key, { parts: ['jobs', 'stages'] });
      // Scheduled polls while the rounds run, until the rounds are over: at least 8 jobs, none
      // running, and no new one for 5 s (the rounds pause 1 s).
      let count = -1;
      let stableSince = Date.now();
      const done = await waitFor(
        async () => {
          await store.pollNow();
          const jobs = await getJson<RawJob[]>(`${job.uiUrl}/api/v1/applications/${appId}/jobs`);
          if (jobs.length !== count || jobs.some((j) => j.status === 'RUNNING')) {
            count = jobs.length;
            stableSince = Date.now();
          }
          return jobs.length >= 8 && Date.now() - stableSince >= 5000 ? jobs : undefined;
        },
        { what: 'the rounds to run and end', timeoutMs: 300_000, intervalMs: 700 },
      );
      // Two more scheduled polls see the last boundary.
      await store.pollNow();
      await store.pollNow();
      const stages = await getJson<RawStage[]>(`${job.uiUrl}/api/v1/applications/${appId}/stages?details=false`);
      const jobsNow = await getJson<RawJob[]>(`${job.uiUrl}/api/v1/applications/${appId}/jobs`);
      assert.equal(jobsNow.length, done.length, 'the driver stayed idle');
      const d = store.detail(key)!.detail;
      const shortJob = (j: RawJob) => [j.jobId, j.status, j.numTasks, j.numCompletedTasks, j.stageIds.join(',')].join(' ');
      const shortStage = (s: RawStage) => [s.stageId, s.attemptId, s.status, s.numTasks, s.numCompleteTasks, s.executorRunTime, s.shuffleWriteBytes].join(' ');
      assert.deepEqual(
        [...d.jobs!].sort((a, b) => a.jobId - b.jobId).map((j) => shortJob({ ...j, stageIds: [...j.stageIds] })),
        [...jobsNow].sort((a, b) => a.jobId - b.jobId).map(shortJob),
      );
      assert.deepEqual(
        [...d.stages!].sort((a, b) => a.stageId - b.stageId || a.attemptId - b.attemptId).map((s) => shortStage({ ...s, executorRunTime: s.executorRunTimeMs })),
        [...stages].sort((a, b) => a.stageId - b.stageId || a.attemptId - b.attemptId).map(shortStage),
      );
      const byId = paths.filter((p) => /\/(jobs|stages)\/\d+$/.test(p)).length;
      const whole = paths.filter((p) => /\/(jobs|stages)$/.test(p)).length;
      const progress = paths.filter((p) => /\/(jobs|stages)\?status=/.test(p)).length;
      const summaries = paths.filter((p) => p === 'metrics/json/').length;
      console.log(`    ${version}: ${summaries} summaries, ${progress} running-job/active-stage lists, ${byId} jobs/stages read by id, ${whole} whole job or stage lists, over ${done.length} jobs and ${stages.length} stages`);
      assert.ok(summaries > 0, 'the driver\'s metrics servlet summarised each poll');
      assert.ok(byId > 0, 'boundaries were read by id');
      assert.ok(whole < done.length, `whole lists were not read at every job (${whole} for ${done.length} jobs)`);
    });
  });
}
