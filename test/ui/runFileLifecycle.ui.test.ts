/**
 * The demo's window as a person uses it (code-server + Chromium), and its Ctrl+C:
 *
 * - the extension host has no venv on PATH and no SPARK_HOME; the only hint is
 *   python.defaultInterpreterPath in the server's Machine settings (what scripts/demo.sh writes);
 * - "Spark: Run File with Observability" from the palette runs the file; its application shows in
 *   the Spark view with the inline Stop action (screenshot test-results/screenshots/run-file-stop.png);
 * - then code-server's process group gets SIGTERM, as demo.sh's cleanup sends it: the job's JVM,
 *   its Python driver (and any worker), its watchdog and its UI port are gone soon after.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';
import { startCodeServer, CodeServer } from '../harness/codeServer';
import { BrowserSession, launchBrowser, openFile, openViewContainer, openWorkbench, REPO_ROOT, runCommand, screenshot, viewPane, waitForTreeRow } from '../harness/browser';
import { alive, isPortFree, venv, waitFor } from '../integration/env';
import { descendants, parsePs } from '../../src/launcher/jobProcess';

const FOLDER = join(REPO_ROOT, 'test', 'fixtures', 'runfile');

/** The driver UI on 4040–4050 (where Run File binds) that serves application `name`. */
async function driverServing(name: string): Promise<{ port: number; id: string } | undefined> {
  for (let port = 4040; port <= 4050; port++) {
    try {
      const apps = (await (await fetch(`http://127.0.0.1:${port}/api/v1/applications`, { signal: AbortSignal.timeout(2000) })).json()) as { id: string; name: string }[];
      const hit = apps.find((a) => a.name === name);
      if (hit) return { port, id: hit.id };
    } catch {
      /* nothing there, or not Spark */
    }
  }
  return undefined;
}

describe('Run File in the demo\'s window, and the demo\'s Ctrl+C', () => {
  const v = venv('4.3.0');
  let server: CodeServer;
  let session: BrowserSession;
  let leftover: number[] = [];

  before(async () => {
    const bare = (process.env.PATH ?? '').split(delimiter).filter((d) => !d.startsWith(dirname(dirname(v.python)))).join(delimiter);
    server = await startCodeServer({
      folder: FOLDER,
      extensionDevelopmentPath: REPO_ROOT,
      userSettings: { 'sparkObservatory.run.master': 'local[1]', 'sparkObservatory.run.extraConf': { 'spark.driver.memory': '512m' } },
      env: { PATH: bare },
    });
    // As demo.sh does for code-server: Machine settings, applied live.
    server.setLiveSettings({ 'python.defaultInterpreterPath': v.python });
    session = await launchBrowser({ viewport: { width: 1400, height: 800 } });
  });

  after(async () => {
    await session?.close();
    await server?.stop();
    for (const p of leftover) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone, as it should be */
      }
    }
  });

  test('runs a file from the palette, offers Stop, and leaves nothing behind when the server is killed', async () => {
    const page = session.page;
    await openWorkbench(page, server.workbenchUrl());
    await openFile(page, 'hold.py');
    await runCommand(page, 'Spark: Run File with Observability');
    const driver = await waitFor(() => driverServing('hold'), { what: 'the run\'s driver on 4040–4050', timeoutMs: 240_000, intervalMs: 1000 });

    await openViewContainer(page, 'Spark');
    await waitForTreeRow(page, /hold.*RUNNING/, 'Applications', 120_000);
    const row = viewPane(page, 'Applications').locator('.monaco-list-row', { hasText: 'hold' }).first();
    await row.hover();
    const stop = row.locator('.action-label[aria-label="Stop Application"]');
    await stop.waitFor({ state: 'visible', timeout: 30_000 });
    await stop.hover();
    console.log(`    screenshot: ${await screenshot(page, 'run-file-stop')}`);

    const rows = parsePs(execFileSync('ps', ['-A', '-o', 'pid=', '-o', 'ppid=', '-o', 'args='], { encoding: 'utf8' }));
    const jvm = rows.find((r) => r.args.includes('org.apache.spark.deploy.SparkSubmit') && r.args.includes(join(FOLDER, 'hold.py')));
    assert.ok(jvm, 'the run\'s JVM');
    const watchdog = rows.find((r) => r.args.includes(join(REPO_ROOT, 'dist', 'watchdog.js')) && r.args.endsWith(` ${jvm.pid}`));
    assert.ok(watchdog, 'its watchdog');
    // hold.py runs no Python UDF: no worker daemon need exist. Its driver is the JVM's child.
    const below = descendants(rows, jvm.pid);
    const driverPy = below.find((r) => /python/.test(r.args) && r.args.includes('hold.py'));
    assert.ok(driverPy, `the Python driver under the JVM ${jvm.pid}: ${below.map((r) => `${r.pid} ${r.args.slice(0, 80)}`).join(' | ')}`);
    const pids = [jvm.pid, ...below.map((r) => r.pid), watchdog.pid];
    leftover = pids;

    // demo.sh's cleanup: SIGTERM to the server's process group, nothing else.
    process.kill(-server.pid, 'SIGTERM');
    await waitFor(async () => (pids.every((p) => !alive(p)) ? true : undefined), { what: `${pids.join(', ')} to end`, timeoutMs: 120_000, intervalMs: 1000 });
    await waitFor(async () => ((await isPortFree(driver.port)) ? true : undefined), { what: `UI port ${driver.port} to be free`, timeoutMs: 30_000 });
  });
});
