import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDriverMetrics } from '../../src/sources/sparkMetrics';
import { parseExecutors, parseJobs, parseStages } from '../../src/sources/sparkRest';
import { REPO } from '../bench/common';
import { abbaEstimates } from '../bench/abba';
import { jackson } from '../bench/fakeJson';
import { FakeModel } from '../bench/fakeModel';
import { startFakeSpark } from '../bench/sparkFake';

// The bench's fake driver (test/bench/sparkFake.ts) must answer as a live 4.3.0 driver does, or
// the poll figures measure a store reading something Spark never sends.

describe('bench fake driver', () => {
  test('lays out JSON byte for byte as a 4.3.0 driver does (a captured allexecutors answer)', () => {
    const raw = fs.readFileSync(path.join(REPO, 'test', 'bench', 'fixtures', 'spark-4.3.0-allexecutors.raw.json'), 'utf8');
    assert.equal(jackson(JSON.parse(raw)), raw);
  });

  test('nothing a feature shows changes in the static scenario; the JVM gauges still move', () => {
    const m = new FakeModel({ executors: 20, scenario: 'static' });
    for (const name of ['allexecutors', 'jobs', 'stages', 'storage/rdd', 'runningJobs', 'activeStages'] as const) assert.equal(m.answer(name, 7), m.answer(name, 1), name);
    assert.notEqual(m.answer('metrics', 7), m.answer('metrics', 1));
    assert.deepEqual(parseDriverMetrics(JSON.parse(m.answer('metrics', 7))), parseDriverMetrics(JSON.parse(m.answer('metrics', 1))));
    assert.deepEqual(parseJobs(JSON.parse(m.answer('runningJobs', 3))), []);
    assert.equal(parseExecutors(JSON.parse(m.answer('allexecutors', 3))).filter((e) => e.isActive && e.activeTasks > 0).length, 0);
  });

  test('a running job moves its tasks every poll, completes every 10 polls, and the summary follows', () => {
    const m = new FakeModel({ executors: 20, scenario: 'running' });
    const summary = (t: number) => parseDriverMetrics(JSON.parse(m.answer('metrics', t)))!;
    const running = (t: number) => parseJobs(JSON.parse(m.answer('runningJobs', t)));
    assert.equal(running(1).length, 1);
    assert.ok(running(2)[0].numCompletedTasks > running(1)[0].numCompletedTasks);
    assert.notEqual(m.answer('allexecutors', 2), m.answer('allexecutors', 1));
    // Polls 0–4: the map stage runs while the result stage waits; 5–9: the result stage.
    assert.deepEqual([summary(4).stagesRunning, summary(4).stagesWaiting, summary(5).stagesWaiting], [1, 1, 0]);
    assert.equal(summary(5).stagesCompleted, summary(4).stagesCompleted! + 1);
    assert.deepEqual([summary(9).jobsAll, summary(10).jobsAll], [201, 202]);
    assert.equal(running(10)[0].jobId, running(9)[0].jobId + 1);
    // Spark's retention: as many jobs (and their stages) as before, the oldest dropped.
    assert.equal(parseJobs(JSON.parse(m.answer('jobs', 40))).length, 200);
    assert.equal(parseStages(JSON.parse(m.answer('stages', 40))).length, 400);
    assert.deepEqual(parseStages(JSON.parse(m.answer('activeStages', 6))).map((s) => s.stageId), [2 * running(6)[0].jobId + 1]);
    // Cached data moves every 25 polls only.
    assert.equal(m.answer('storage/rdd', 24), m.answer('storage/rdd', 1));
    assert.notEqual(m.answer('storage/rdd', 25), m.answer('storage/rdd', 24));
    assert.ok(summary(25).storageMemoryUsedMb! > summary(24).storageMemoryUsedMb!);
  });

  test('serves the metrics servlet behind its 301, filtered lists, gzip, and one tick per application list', async () => {
    const fake = await startFakeSpark({ executors: 20, scenario: 'running' });
    try {
      const redirect = await fetch(`${fake.url}/metrics/json`, { redirect: 'manual' });
      assert.deepEqual([redirect.status, redirect.headers.get('location')], [301, '/metrics/json/']);
      await fetch(`${fake.url}/api/v1/applications`).then((r) => r.text());
      await fetch(`${fake.url}/api/v1/applications`).then((r) => r.text());
      assert.equal(fake.tick, 2);
      const metrics = await fetch(`${fake.url}/metrics/json/`);
      assert.match(metrics.headers.get('content-type') ?? '', /^text\/json/);
      assert.equal(parseDriverMetrics(await metrics.json())?.jobsActive, 1);
      const running = await fetch(`${fake.url}/api/v1/applications/${fake.appId}/jobs?status=running`).then((r) => r.json());
      assert.equal(parseJobs(running).length, 1);
      // Node's fetch decompresses; the log keeps what went over the wire.
      const n = fake.log.length;
      const res = await fetch(`${fake.url}/api/v1/applications/${fake.appId}/allexecutors`, { headers: { 'Accept-Encoding': 'gzip' } });
      const text = await res.text();
      assert.equal(res.headers.get('content-encoding'), 'gzip');
      assert.equal(parseExecutors(JSON.parse(text)).length, 1 + 20 + 1);
      const entry = fake.log[n];
      assert.deepEqual([entry.tick, entry.bytes], [2, Buffer.byteLength(text)]);
      assert.ok(entry.wireBytes < entry.bytes / 5, `gzip: ${entry.wireBytes} of ${entry.bytes} bytes`);
    } finally {
      await fake.close();
    }
  });
});

describe('bench ABBA windows', () => {
  test('each polling window is read against its own block’s idle rate, per poll, at one poll per interval', () => {
    // Block 0 idles at 2 % of a core, block 1 at 4 % (drift); each B window adds 30 ms over 5 polls.
    const w = (block: number, on: boolean, pct: number, extraS = 0) => ({ block, on, seconds: 15, cpuSeconds: (pct / 100) * 15 + extraS, polls: on ? 5 : 0 });
    const windows = [w(0, false, 2), w(0, true, 2, 0.03), w(0, true, 2, 0.03), w(0, false, 2), w(1, false, 4), w(1, true, 4, 0.03), w(1, true, 4, 0.03), w(1, false, 4)];
    // 30 ms / 5 polls = 6 ms per poll = 0.2 % of a core at one poll per 3 s, in every window.
    assert.deepEqual(abbaEstimates(windows, 3000).map((e) => Math.round(e * 1000) / 1000), [0.2, 0.2, 0.2, 0.2]);
  });
});
