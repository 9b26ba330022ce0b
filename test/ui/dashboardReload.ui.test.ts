/**
 * A dashboard restored after a window reload, in the real workbench with the real Spark
 * environment, when the store is still empty and the application then comes back under another
 * key. Every source sits behind a gate (test/harness/gate.ts) that holds connections unanswered
 * across the reload (sources slow to answer at start-up), so the restored webview is ready before
 * any source has listed anything. Then the History Server and Prometheus answer again but the
 * driver stays silent: the application is listed by the History Server's group only, not under
 * the key the panel saved. The panel must bind to it, draw its data and keep the time range it
 * had before the reload.
 *
 *   npm run build && npm run compile-tests && node --test out/test/ui/dashboardReload.ui.test.js
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  REPO_ROOT,
  launchBrowser,
  openViewContainer,
  openWorkbench,
  reloadWindow,
  runCommandAndPick,
  screenshot,
  screenshotOnFailure,
  waitForTreeRow,
  webviewFrame,
  type BrowserSession,
} from '../harness/browser';
import { startCodeServer, type CodeServer } from '../harness/codeServer';
import { rangeOf, statusOf, waitForCharts } from '../harness/dashboard';
import { startGate, type Gate } from '../harness/gate';
import { driverApp, readEnv, startJob, waitFor, type RunningJob } from '../integration/env';

const env = readEnv();


describe('dashboard restored after a reload', () => {
  let job: RunningJob;
  let appId: string;
  let appName: string;
  const gates: Record<'driver' | 'history' | 'prometheus', Gate | undefined> = { driver: undefined, history: undefined, prometheus: undefined };
  let server: CodeServer | undefined;
  let session: BrowserSession | undefined;
  let page: Page;
  let folder: string;

  before(async () => {
    // long_running.py, not a seed job: the comparison tests take the newest finished seed runs.
    job = await startJob('long_running.py', { master: env.masterUrl, args: ['30'], env: { HOLD_SECONDS: '600' } });
    const app = await driverApp(job.uiUrl);
    appId = app.id;
    appName = app.name;
    gates.driver = await startGate(job.uiUrl);
    gates.history = await startGate(env.historyUrl);
    gates.prometheus = await startGate(env.prometheusUrl);
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'so-ui-reload-'));
    fs.writeFileSync(path.join(folder, 'job.py'), 'print("hello")\n');
    server = await startCodeServer({
      folder,
      extensionDevelopmentPath: REPO_ROOT,
      userSettings: { 'sparkObservatory.refreshInterval': 1, 'sparkObservatory.requestTimeout': 2 },
      // One group per source, so the application's key says which source lists it.
      machineSettings: {
        'sparkObservatory.discovery.enabled': false,
        'sparkObservatory.sources': [
          { name: 'driver', url: gates.driver.url, kind: 'driver', group: 'cluster-a' },
          { name: 'history', url: gates.history.url, kind: 'history', group: 'history-b' },
          { name: 'prometheus', url: gates.prometheus.url, kind: 'prometheus', group: 'metrics-c' },
        ],
      },
    });
    session = await launchBrowser({ viewport: { width: 1400, height: 1000 } });
    page = session.page;
    await openWorkbench(page, server.workbenchUrl());
  });

  after(async () => {
    await session?.close();
    await server?.stop();
    for (const g of Object.values(gates)) await g?.stop();
    await job?.stop();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('binds to the application once a source lists it, under another key, with the time range it had', async () => {
    await screenshotOnFailure(page, 'dashboard-reload', async () => {
      await openViewContainer(page, 'Spark', 90_000);
      await waitForTreeRow(page, appName, 'Applications', 90_000);
      // The driver's entry, picked in the palette by its id and its group.
      await runCommandAndPick(page, 'Spark: Open Dashboard', [appId, 'cluster-a']);
      let frame = await webviewFrame(page, `Spark: ${appName}`, 60_000);
      await waitForCharts(frame, ['storageMemory']);
      await frame.evaluate(() => {
        const select = document.getElementById('range') as HTMLElement & { value: string };
        select.value = '5m';
        select.dispatchEvent(new Event('change'));
      });
      // The host has the range once data read for it comes back (the status line names it).
      await waitFor(async () => (/last 5 minutes/.test(await statusOf(frame)) ? true : undefined), { what: 'data for the last 5 minutes', timeoutMs: 30_000 });

      for (const g of Object.values(gates)) g!.shut();
      await reloadWindow(page);
      // The restored panel, titled after the application id while nothing lists it.
      frame = await webviewFrame(page, new RegExp(`^Spark: (${appName}|${appId})$`), 90_000);
      const waiting = await waitFor(async () => {
        const s = await statusOf(frame);
        return /Waiting for the application to be listed by a source/.test(s) ? s : undefined;
      }, { what: 'the restored panel waiting for its application', timeoutMs: 90_000 });
      console.log(`restored while the store is empty: ${waiting}`);

      // The driver stays silent: only history-b lists the application now (and metrics-c, Prometheus).
      gates.history!.open();
      gates.prometheus!.open();
      frame = await webviewFrame(page, `Spark: ${appName}`, 90_000);
      await waitForCharts(frame, ['storageMemory']);
      assert.equal(await rangeOf(frame), '5m');
      // The host reads the range it had, not only the control showing it.
      assert.match(await statusOf(frame), /^profile executorEndpoint.* · last 5 minutes$/);
      assert.equal((await frame.locator('#app-meta').innerText()).trim(), `${appId} · running`);
      console.log(`screenshot: ${await screenshot(page, 'dashboard-reloaded')}`);
    });
  });
});
