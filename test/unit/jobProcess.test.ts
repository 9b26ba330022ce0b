/**
 * How a job is started and stopped on each platform (launcher/jobProcess.ts) and when its
 * watchdog stops it (launcher/watchdog.ts). The argv built for Windows and the taskkill path are
 * checked here only: Windows cannot run on these machines. test/integration/jobLifecycle.test.ts
 * runs the POSIX path against a real Spark job.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cmdArgument, descendants, driverPids, parsePs, spawnSpec, stopTree, TreeOps } from '../../src/launcher/jobProcess';
import { watchdog, WatchdogIo } from '../../src/launcher/watchdog';

describe('starting a job', () => {
  test('POSIX: spark-submit itself, in a process group of its own', () => {
    const s = spawnSpec('/v/bin/spark-submit', ['--master', 'local[*]', '/a b/job.py'], 'linux');
    assert.deepEqual(s, { file: '/v/bin/spark-submit', args: ['--master', 'local[*]', '/a b/job.py'], detached: true, windowsVerbatimArguments: false });
  });

  test('Windows: spark-submit.cmd through cmd.exe /d /s /c, never bare; arguments quoted and escaped twice', () => {
    const s = spawnSpec('C:/v/Lib/site-packages/pyspark/bin/spark-submit.cmd', ['--master', 'local[*]', 'C:\\My Jobs\\job.py', 'a&b'], 'win32', 'C:\\Windows\\system32\\cmd.exe');
    assert.equal(s.file, 'C:\\Windows\\system32\\cmd.exe');
    assert.equal(s.windowsVerbatimArguments, true);
    assert.equal(s.detached, false);
    assert.deepEqual(s.args.slice(0, 3), ['/d', '/s', '/c']);
    assert.equal(
      s.args[3],
      '"C:\\v\\Lib\\site-packages\\pyspark\\bin\\spark-submit.cmd ' +
        '^^^"--master^^^" ^^^"local^^^[^^^*^^^]^^^" ^^^"C:\\My^^^ Jobs\\job.py^^^" ^^^"a^^^&b^^^""',
    );
  });

  test('Windows: another .cmd gets its arguments escaped once; an .exe is spawned directly', () => {
    const s = spawnSpec('C:\\tools\\submit.cmd', ['x y'], 'win32');
    assert.deepEqual(s.args, ['/d', '/s', '/c', '"C:\\tools\\submit.cmd ^"x^ y^""']);
    assert.equal(s.file, 'cmd.exe');
    assert.deepEqual(spawnSpec('C:\\py\\python.exe', ['-c', 'x'], 'win32'), { file: 'C:\\py\\python.exe', args: ['-c', 'x'], detached: false, windowsVerbatimArguments: false });
  });

  test('cmd arguments: backslashes before quotes and at the end doubled, quotes escaped (the C runtime\'s rules)', () => {
    assert.equal(cmdArgument('a"b', false), '^"a\\^"b^"');
    assert.equal(cmdArgument('C:\\dir\\', false), '^"C:\\dir\\\\^"');
    assert.equal(cmdArgument('50%', false), '^"50^%^"');
    assert.equal(cmdArgument('', false), '^"^"');
  });
});

const PS = `    1     0 /sbin/init
  100     1 bash
 4438   100 /usr/lib/jvm/java-17/bin/java -cp … org.apache.spark.deploy.SparkSubmit so_run.py /tmp/job.py
 4741  4438 /v/bin/python /ext/dist/python/so_run.py /tmp/job.py
 5109  4438 /v/bin/python -m pyspark.daemon pyspark.worker
 5425  5109 /v/bin/python -m pyspark.daemon pyspark.worker
 6000   100 vim
`;

describe('the processes of a job', () => {
  test('ps rows, the tree below the JVM and its Python driver (not the worker daemon)', () => {
    const rows = parsePs(PS);
    assert.equal(rows.length, 7);
    assert.deepEqual(rows[3], { pid: 4741, ppid: 4438, args: '/v/bin/python /ext/dist/python/so_run.py /tmp/job.py' });
    assert.deepEqual(descendants(rows, 4438).map((r) => r.pid), [4741, 5109, 5425]);
    assert.deepEqual(driverPids(rows, 4438), [4741]);
  });
});

/** A system where every signal is recorded and processes end as the script says. */
function fakeOps(platform: string, endsOn: 'SIGINT' | 'SIGTERM' | 'never') {
  const calls: string[] = [];
  let alive = true;
  const ops: TreeOps = {
    platform,
    signal(pid, sig) {
      if (sig === 0) return alive;
      calls.push(`${sig} ${pid}`);
      const was = alive;
      if (sig === endsOn || sig === 'SIGKILL') alive = false;
      return was;
    },
    processes: () => parsePs(PS),
    taskkill: (pid) => void calls.push(`taskkill /T /F /PID ${pid}`),
    sleep: async () => undefined,
  };
  return { ops, calls };
}

describe('stopping a job', () => {
  test('POSIX: SIGINT to the Python driver first, as a person\'s Ctrl+C; that is enough when Spark stops', async () => {
    const { ops, calls } = fakeOps('linux', 'SIGINT');
    assert.equal(await stopTree(4438, ops, { driverMs: 1000, termMs: 1000 }), 'driver');
    assert.deepEqual(calls, ['SIGINT 4741']);
  });

  test('POSIX: then SIGTERM to the group and to the worker daemon (a group of its own), then SIGKILL', async () => {
    const term = fakeOps('linux', 'SIGTERM');
    assert.equal(await stopTree(4438, term.ops, { driverMs: 1000, termMs: 1000 }), 'term');
    assert.deepEqual(term.calls, ['SIGINT 4741', 'SIGTERM -4438', 'SIGTERM 4741', 'SIGTERM 5109', 'SIGTERM 5425']);
    const stuck = fakeOps('linux', 'never');
    assert.equal(await stopTree(4438, stuck.ops, { driverMs: 1000, termMs: 1000 }), 'kill');
    assert.deepEqual(stuck.calls.slice(-4), ['SIGKILL -4438', 'SIGKILL 4741', 'SIGKILL 5109', 'SIGKILL 5425']);
  });

  test('Windows: taskkill of the whole tree, never a signal to a negative pid', async () => {
    const { ops, calls } = fakeOps('win32', 'never');
    assert.equal(await stopTree(4438, ops), 'taskkill');
    assert.deepEqual(calls, ['taskkill /T /F /PID 4438']);
  });

  test('a job that has ended already: nothing is signalled', async () => {
    const { ops, calls } = fakeOps('linux', 'never');
    const gone: TreeOps = { ...ops, signal: (pid, sig) => (sig === 0 ? false : ops.signal(pid, sig)) };
    assert.equal(await stopTree(4438, gone), 'gone');
    assert.deepEqual(calls, []);
  });
});

/** The watchdog's world: a host that may die, stdin, a clock run by hand. */
function fakeWatchdog(platform = 'linux') {
  const { ops, calls } = fakeOps(platform, 'SIGINT');
  const state = { hostAlive: true, ppid: 10, jobAlive: true, exited: undefined as number | undefined };
  let tick: () => void = () => undefined;
  let data: (t: string) => void = () => undefined;
  let end: () => void = () => undefined;
  let term: () => void = () => undefined;
  const io: WatchdogIo = {
    ops: {
      ...ops,
      signal: (pid, sig) => {
        if (pid === 10) return state.hostAlive;
        if (sig === 0) return state.jobAlive;
        const r = ops.signal(pid, sig);
        if (sig === 'SIGINT') state.jobAlive = false;
        return r;
      },
    },
    ppid: () => state.ppid,
    onStdin: (d, e) => ((data = d), (end = e)),
    onTerminate: (h) => (term = h),
    setInterval: (fn) => (tick = fn),
    exit: (code) => (state.exited = code),
  };
  watchdog(['10', '4438'], io);
  const settle = () => new Promise((r) => setImmediate(r));
  return { state, calls, tick: () => tick(), data: (t: string) => data(t), end: () => end(), term: () => term(), settle };
}

describe('the watchdog', () => {
  test('stops the job when the host dies without a word (its parent changes on POSIX)', async () => {
    const w = fakeWatchdog();
    w.tick();
    assert.deepEqual(w.calls, []);
    w.state.ppid = 1;
    w.tick();
    await w.settle();
    assert.deepEqual(w.calls, ['SIGINT 4741']);
    assert.equal(w.state.exited, 0);
  });

  test('stops the job when the host\'s pipe closes, when the host asks, or when it is told to end', async () => {
    for (const how of ['end', 'stop', 'term'] as const) {
      const w = fakeWatchdog();
      if (how === 'end') w.end();
      else if (how === 'stop') w.data('stop\n');
      else w.term();
      await w.settle();
      assert.deepEqual(w.calls, ['SIGINT 4741'], how);
      assert.equal(w.state.exited, 0, how);
    }
  });

  test('on Windows the host\'s pid is watched, and the job is ended with taskkill', async () => {
    const w = fakeWatchdog('win32');
    w.state.hostAlive = false;
    w.tick();
    await w.settle();
    assert.deepEqual(w.calls, ['taskkill /T /F /PID 4438']);
  });

  test('leaves, signalling nothing, when the job ended on its own', () => {
    const w = fakeWatchdog();
    w.state.jobAlive = false;
    w.tick();
    assert.equal(w.state.exited, 0);
    assert.deepEqual(w.calls, []);
  });

  test('refuses arguments that are not two pids', () => {
    let code: number | undefined;
    watchdog(['x'], { ...({} as WatchdogIo), exit: (c) => (code = c) });
    assert.equal(code, 2);
  });
});
