/**
 * The Spark view as a person sees it, in the real workbench (code-server + Chromium), over a
 * real Spark: the running application's name, the expanded tree while the cached seed job
 * runs, and Spark strings that look like HTML or command links shown as text.
 *
 *   SO_TEST_SETTINGS=test-results/settings.json node --test out/test/ui/explorer.ui.test.js
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { REPO_ROOT, launchBrowser, openViewContainer, openWorkbench, screenshot, screenshotOnFailure, treeRows, waitForTreeRow, viewPane, type BrowserSession } from '../harness/browser';
import { startCodeServer, testSettingsFromEnv, type CodeServer } from '../harness/codeServer';
import { driverApp, getJson, readEnv, startJob, waitFor, type RunningJob } from '../integration/env';

/**
 * Clicks a collapsed row until it is expanded (single-click expands in VS Code trees); a click
 * that lands while the tree re-renders after a poll is lost, so it is tried again.
 */
async function expand(page: Page, match: RegExp): Promise<void> {
  const row = () => viewPane(page, 'Applications').locator('.monaco-list-row', { hasText: match }).first();
  await row().waitFor({ state: 'visible', timeout: 60_000 });
  await waitFor(
    async () => {
      if ((await row().getAttribute('aria-expanded')) === 'true') return true;
      await row().locator('.monaco-tl-twistie').click();
      // Under load the row may take a while to show itself expanded: wait for that before
      // clicking again, or the second click would collapse it.
      const expanded = async () => ((await row().getAttribute('aria-expanded')) === 'true' ? true : undefined);
      return waitFor(expanded, { what: `${match} showing itself expanded`, timeoutMs: 5_000, intervalMs: 100 }).catch(() => undefined);
    },
    { what: `${match} expanded`, timeoutMs: 30_000, intervalMs: 100 },
  );
}

/** Drags the side bar's edge so the tree's descriptions are readable in screenshots. */
async function widenSideBar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const x = box.x + box.width;
  const y = box.y + box.height / 2;
  await page.mouse.move(x - 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
}

describe('the Spark view over a real Spark', () => {
  const env = readEnv();
  let server: CodeServer;
  let session: BrowserSession;
  let page: Page;
  let job: RunningJob | undefined;
  const dialogs: string[] = [];

  before(async () => {
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js')), 'dist/extension.js is missing: run npm run build first');
    job = await startJob('seed_cached.py', { master: env.masterUrl, env: { HOLD_SECONDS: '300' } });
    const appId = (await driverApp(job.uiUrl)).id;
    await waitFor(
      async () => {
        const rdds = await getJson<Array<{ memoryUsed: number }>>(`${job!.uiUrl}/api/v1/applications/${appId}/storage/rdd`);
        return rdds.length === 2 && rdds.every((r) => r.memoryUsed > 0) ? true : undefined;
      },
      { what: 'two materialised caches', timeoutMs: 240_000, intervalMs: 1000 },
    );
    server = await startCodeServer({ folder: path.join(REPO_ROOT, 'test', 'fixtures', 'jobs'), extensionDevelopmentPath: REPO_ROOT, userSettings: testSettingsFromEnv() });
    session = await launchBrowser();
    page = session.page;
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await openWorkbench(page, server.workbenchUrl());
    await openViewContainer(page, 'Spark');
    await widenSideBar(page, 760);
  });

  after(async () => {
    await session?.close();
    await server?.stop();
    await job?.stop();
  });

  it("shows the running application's name in the Spark view", async () => {
    await screenshotOnFailure(page, 'explorer-app', async () => {
      // Prometheus may list the application before the driver's own answer does ("(Prometheus
      // only)"): wait for the driver's figures.
      const row = await waitForTreeRow(page, /seed-cached\s*RUNNING · .* · 2 cores · 4\.3\.0/, 'Applications', 120_000);
      assert.match(row, /seed-cached\s*RUNNING · .* · 2 cores · 4\.3\.0/);
    });
  });

  it('expands the application, its executors and its cached datasets while the cached seed job runs', async () => {
    await screenshotOnFailure(page, 'explorer-expanded', async () => {
      await expand(page, /seed-cached\s*RUNNING/);
      await expand(page, /^Executors/);
      await expand(page, /^Cached datasets/);
      const rows = await waitFor(
        async () => {
          const r = await treeRows(page, 'Applications');
          return r.filter((x) => /MEMORY_AND_DISK/.test(x)).length === 2 && r.some((x) => x.startsWith('driver')) ? r : undefined;
        },
        { what: 'executors and both cached datasets on screen', timeoutMs: 60_000 },
      );
      assert.ok(rows.some((r) => /^Executors\s*3 · .* of .* storage/.test(r)), rows.join('\n'));
      assert.equal(rows.filter((r) => /^\d+\s*127\.0\.0\.1 · 1 core/.test(r)).length, 2, 'two executors, one core each');
      await page.mouse.move(5, 5);
      console.log(`screenshot: ${await screenshot(page, 'explorer-expanded')}`);
    });
  });

  it('shows an application named like HTML, and a command link in a job description, as text', async () => {
    await job?.stop();
    job = await startJob('hostile_names.py', { master: 'local[1]', env: { HOLD_SECONDS: '200' } });
    await driverApp(job.uiUrl);
    await screenshotOnFailure(page, 'explorer-hostile', async () => {
      await waitForTreeRow(page, '<img src=x onerror=alert(1)>', 'Applications', 120_000);
      // VS Code's list reuses row elements, so DOM order is not screen order: collapse all, then
      // open only this application's path, so that its Jobs row is the only one on screen.
      // A container with one view shows that view's actions in the side bar's own title bar.
      await page.locator('.part.sidebar .composite.title .action-label[aria-label="Collapse All"]').click();
      await expand(page, /^local/);
      await expand(page, /<img src=x onerror=alert\(1\)>\s*RUNNING/);
      await expand(page, /^Jobs/);
      const row = await waitForTreeRow(page, '[run](command:workbench.action.terminal.new)', 'Applications', 60_000);
      assert.ok(row.includes('[run](command:workbench.action.terminal.new)'));
      // Nothing became markup: no image element from the name, no alert, no terminal opened.
      assert.equal(await page.locator('img[src="x"]').count(), 0);
      assert.deepEqual(dialogs, []);
      assert.equal(await page.locator('.part.panel .terminal').count(), 0);
      console.log(`screenshot: ${await screenshot(page, 'explorer-hostile')}`);
    });
  });
});
