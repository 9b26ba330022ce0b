/**
 * The one scheduler: tasks on their own timers, nothing while paused, a removed task's work
 * cancelled, a forced refresh never dropped.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../../src/store/scheduler';

const log = { error: (m: string) => assert.fail(`scheduler logged an error: ${m}`) };

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('the scheduler', () => {
  test('a forced refresh during a run in flight runs the task again after it, and waits for that run', async () => {
    const s = new Scheduler(log);
    const runs: boolean[] = [];
    const first = gate();
    let calls = 0;
    s.ensure('t', {
      interval: () => undefined,
      run: async (_signal, force) => {
        runs.push(force);
        if (calls++ === 0) await first.promise;
      },
    });
    // The first run starts on the next turn (ensure kicks it).
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(runs, [false]);
    let refreshed = false;
    const r = s.refresh().then(() => (refreshed = true));
    await Promise.resolve();
    assert.equal(refreshed, false, 'the refresh waits for a run that starts after it');
    first.open();
    await r;
    assert.deepEqual(runs, [false, true], 'the forced run came after the one in flight, never dropped');
    s.dispose();
  });

  test('removing a task cancels its work in flight', async () => {
    const s = new Scheduler(log);
    let aborted = false;
    const started = gate();
    s.ensure('t', {
      interval: () => undefined,
      run: (signal) =>
        new Promise<void>((resolve) => {
          started.open();
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        }),
    });
    await started.promise;
    s.remove('t');
    assert.equal(aborted, true);
    assert.equal(s.has('t'), false);
    s.dispose();
  });

  test('nothing runs while paused; resuming catches up at once', async () => {
    const s = new Scheduler(log);
    s.setPaused(true);
    let runs = 0;
    const ran = gate();
    s.ensure('t', {
      interval: () => 5,
      run: async () => {
        runs++;
        ran.open();
      },
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(runs, 0, 'paused: the task never ran');
    s.setPaused(false);
    await ran.promise;
    assert.ok(runs >= 1);
    s.dispose();
  });

  test('each task runs on its own: one that hangs holds up no other', async () => {
    const s = new Scheduler(log);
    const never = gate();
    const other = gate();
    s.ensure('hangs', { interval: () => undefined, run: () => never.promise });
    s.ensure('quick', { interval: () => undefined, run: async () => other.open() });
    await other.promise;
    assert.equal(s.isRunning('hangs'), true);
    s.dispose();
  });

  test('runDue runs, not forced, only the tasks whose interval has passed on its clock since their last run', async () => {
    let clock = 1_000_000;
    const s = new Scheduler(log, () => clock);
    s.setPaused(true);
    const runs: string[] = [];
    const task = (key: string, every: number | undefined) =>
      s.ensure(key, {
        interval: () => every,
        run: async (_signal, force) => {
          runs.push(`${key}${force ? '!' : ''}`);
        },
      });
    task('poll', 3000);
    task('list', 30_000);
    task('kicked', undefined);
    const keys = ['poll', 'list', 'kicked'];
    await s.runDue(keys);
    assert.deepEqual(runs.sort(), ['kicked', 'list', 'poll'], 'never run: all due');
    runs.length = 0;
    for (let i = 1; i <= 10; i++) {
      clock += 3000;
      await s.runDue(keys);
    }
    assert.deepEqual(runs, ['poll', 'poll', 'poll', 'poll', 'poll', 'poll', 'poll', 'poll', 'poll', 'poll', 'list'], 'every 3 s, every 30 s, never without a kick');
    s.dispose();
  });
});
