/**
 * The dashboard as a person sees it, in the real workbench (code-server + Chromium) with the
 * real Spark environment: opened from the tree's inline action and from the command palette,
 * every panel with data paints its canvas, missing panels say what turns them on, the custom
 * PromQL panel shows Prometheus's own error, alerts reach the tree and the status bar, and
 * screenshots in a dark and a light theme (test-results/screenshots/dashboard-*.png). A panel
 * restored after a window reload: dashboardReload.ui.test.ts.
 *
 *   npm run build && npm run compile-tests && node --test out/test/ui/dashboard.ui.test.js
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
  runCommand,
  runCommandAndPick,
  screenshot,
  screenshotOnFailure,
  setColorTheme,
  statusBarItems,
  viewPane,
  waitForTreeRow,
  waitForThemedCanvases,
  waitForView,
  webviewFrame,
  type BrowserSession,
} from '../harness/browser';
import { startCodeServer, type CodeServer } from '../harness/codeServer';
import { panelStates, waitForCharts } from '../harness/dashboard';
import { driverApp, getJson, readEnv, startJob, waitFor, type RunningJob } from '../integration/env';

const env = readEnv();
/** The canvases of the panels that draw a chart (not the missing ones, not an error). */
const DRAWN_CHARTS = 'section.panel .chart-box:not(.hidden) canvas';

describe('dashboard webview in the workbench', () => {
  let job: RunningJob;
  let appId: string;
  let appName: string;
  let server: CodeServer | undefined;
  let session: BrowserSession | undefined;
  let page: Page;
  let folder: string;

  before(async () => {
    job = await startJob('seed_cached.py', { master: env.masterUrl, name: 'ui-dashboard', env: { HOLD_SECONDS: '300' } });
    const app = await driverApp(job.uiUrl);
    appId = app.id;
    appName = app.name;
    await waitFor(
      async () => {
        const ex = await getJson<{ id: string; memoryUsed: number }[]>(`${job.uiUrl}/api/v1/applications/${appId}/executors`);
        return ex.some((e) => e.id !== 'driver' && e.memoryUsed > 0) ? true : undefined;
      },
      { what: 'cached blocks on an executor', timeoutMs: 240_000, intervalMs: 1000 },
    );
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'so-ui-dash-'));
    fs.writeFileSync(path.join(folder, 'job.py'), 'print("hello")\n');
    server = await startCodeServer({
      folder,
      extensionDevelopmentPath: REPO_ROOT,
      userSettings: {
        // Only this job's driver and the environment's Prometheus: no other engineer's job.
        'sparkObservatory.discovery.enabled': false,
        'sparkObservatory.sources': [
          { name: 'driver', url: job.uiUrl, kind: 'driver', group: 'ui' },
          { name: 'prometheus', url: env.prometheusUrl, kind: 'prometheus', group: 'ui' },
        ],
        'workbench.colorTheme': 'Default Dark Modern',
      },
    });
    session = await launchBrowser({ viewport: { width: 1600, height: 1700 } });
    page = session.page;
    await openWorkbench(page, server.workbenchUrl());
  });

  after(async () => {
    await session?.close();
    await server?.stop();
    await job?.stop();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('shows the Spark alert under the application and in the status bar', async () => {
    await screenshotOnFailure(page, 'dashboard-alerts', async () => {
      await openViewContainer(page, 'Spark');
      await waitForView(page, 'Applications');
      const row = await waitForTreeRow(page, new RegExp(`${appName}.*1 alert`), 'Applications', 90_000);
      console.log(`tree row: ${row}`);
      const status = await waitFor(
        async () => (await statusBarItems(page)).find((i) => /Spark.*\d+ alerts?/.test(i.text)),
        { what: 'the alert count in the status bar', timeoutMs: 60_000 },
      );
      console.log(`status bar: ${status.text}`);
      // Expanding the application lists the alert first.
      await viewPane(page, 'Applications').locator('.monaco-list-row').filter({ hasText: appName, hasNotText: 'Prometheus only' }).first().click();
      await page.keyboard.press('ArrowRight');
      const alertRow = await waitForTreeRow(page, /SparkApplicationUp/, 'Applications', 30_000);
      assert.match(alertRow, /info/);
    });
  });

  it('opens from the tree, and every panel with data paints its chart (dark theme)', async () => {
    await screenshotOnFailure(page, 'dashboard-tree', async () => {
      const row = viewPane(page, 'Applications').locator('.monaco-list-row').filter({ hasText: appName, hasNotText: 'Prometheus only' }).first();
      await row.hover();
      await row.locator('.action-label[aria-label="Open Dashboard"]').click();
      // Away from the tree, so its hover does not cover the dashboard in screenshots.
      await page.mouse.move(800, 4);
      const frame = await webviewFrame(page, `Spark: ${appName}`, 60_000);
      const panels = await waitForCharts(frame);
      for (const p of panels) console.log(`  ${p.id}: ${p.drawn ? `${p.painted} painted px` : p.message}`);
      const container = panels.filter((p) => p.id.startsWith('container'));
      assert.equal(container.length, 3);
      for (const p of container) {
        assert.equal(p.drawn, false);
        assert.equal(p.missing, true);
        assert.match(p.message, /Turn on: cAdvisor container metrics/);
      }
      // The custom panel: a real query, drawn too.
      await frame.locator('#custom-query input').fill(`sum by (executor_id) (metrics_executor_memoryUsed_bytes{application_id="${appId}"})`);
      await frame.locator('#custom-query input').press('Enter');
      await waitFor(async () => ((await panelStates(frame)).find((p) => p.id === 'custom')?.painted ?? 0) > 500 || undefined, { what: 'the custom panel painted', timeoutMs: 30_000 });
      const status = (await frame.locator('#status').innerText()).trim();
      assert.match(status, /profile executorEndpoint, prometheusServlet · scrape 2 s · step/);
      console.log(`screenshot: ${await screenshot(page, 'dashboard-dark')}`);
    });
  });

  it('re-reads the theme colours in a light theme', async () => {
    await screenshotOnFailure(page, 'dashboard-light', async () => {
      assert.ok(server);
      await setColorTheme(page, server, 'Default Light Modern', 'light');
      const frame = await webviewFrame(page, `Spark: ${appName}`);
      await waitFor(async () => ((await frame.evaluate(() => document.body.classList.contains('vscode-light'))) ? true : undefined), { what: 'the webview in the light theme' });
      await waitForCharts(frame);
      // Drawn again in the light theme's colours, not only painted.
      await waitForThemedCanvases(frame, DRAWN_CHARTS);
      console.log(`screenshot: ${await screenshot(page, 'dashboard-light')}`);
    });
  });

  it('shows Prometheus\'s own error for an invalid query', async () => {
    await screenshotOnFailure(page, 'dashboard-error', async () => {
      const frame = await webviewFrame(page, `Spark: ${appName}`);
      await frame.locator('#custom-query input').fill('sum(rate(metrics_executor_memoryUsed_bytes[1m])');
      await frame.locator('#custom-query input').press('Enter');
      const msg = await waitFor(
        async () => {
          const p = (await panelStates(frame)).find((x) => x.id === 'custom');
          return p && /bad_data/.test(p.message) ? p.message : undefined;
        },
        { what: 'the error in the custom panel', timeoutMs: 30_000 },
      );
      assert.match(msg, /bad_data: .*parse error: unclosed left parenthesis/);
      await frame.locator('#custom').scrollIntoViewIfNeeded();
      console.log(`screenshot: ${await screenshot(page, 'dashboard-error')}`);
    });
  });

  it('stays readable in a high-contrast theme', async () => {
    await screenshotOnFailure(page, 'dashboard-hc', async () => {
      assert.ok(server);
      await setColorTheme(page, server, 'Default High Contrast', 'hc-dark');
      const frame = await webviewFrame(page, `Spark: ${appName}`);
      await waitFor(async () => ((await frame.evaluate(() => document.body.classList.contains('vscode-high-contrast'))) ? true : undefined), { what: 'the webview in the high-contrast theme' });
      await waitForCharts(frame);
      await waitForThemedCanvases(frame, DRAWN_CHARTS);
      console.log(`screenshot: ${await screenshot(page, 'dashboard-hc')}`);
    });
  });

  it('opens from the command palette with a quick pick of applications', async () => {
    await screenshotOnFailure(page, 'dashboard-palette', async () => {
      // Close the open dashboard first, so the palette must create it again.
      await runCommand(page, 'View: Close All Editors');
      await page.locator('.tabs-container .tab', { hasText: `Spark: ${appName}` }).first().waitFor({ state: 'detached', timeout: 10_000 });
      // By id: another engineer's job on the same Prometheus may have the same name.
      await runCommandAndPick(page, 'Spark: Open Dashboard', [appId]);
      const frame = await webviewFrame(page, `Spark: ${appName}`, 60_000);
      await waitForCharts(frame);
      console.log(`screenshot: ${await screenshot(page, 'dashboard-palette')}`);
    });
  });
});
