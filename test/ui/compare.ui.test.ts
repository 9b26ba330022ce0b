/**
 * The comparison as a person sees it, in the real workbench (code-server + Chromium) over the
 * real environment's History Server and Prometheus: "Spark: Compare Runs…" from the palette,
 * run A and run B picked in the quick pick by typing their names, the table with one row per
 * metric coloured by verdict, the stages, the overlaid memory and GC charts painted; screenshots
 * in a dark and a light theme (test-results/screenshots/compare-*.png); the same comparison
 * restored after a window reload.
 *
 *   npm run build && npm run compile-tests && node --test out/test/ui/compare.ui.test.js
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import {
  REPO_ROOT,
  launchBrowser,
  openViewContainer,
  openWorkbench,
  reloadWindow,
  runCommand,
  screenshot,
  screenshotOnFailure,
  setColorTheme,
  waitForThemedCanvases,
  webviewFrame,
  type BrowserSession,
} from '../harness/browser';
import { startCodeServer, type CodeServer } from '../harness/codeServer';
import { getJson, readEnv, runJob, waitFor } from '../integration/env';

const env = readEnv();

interface HistoryApp {
  id: string;
  name: string;
  attempts: { completed: boolean; startTimeEpoch: number }[];
}

/** The newest finished run of `name` in the History Server, running the job first when there is none. */
async function finishedRun(name: string, file: string): Promise<HistoryApp> {
  const find = async () =>
    (await getJson<HistoryApp[]>(`${env.historyUrl}/api/v1/applications?status=completed&limit=50`)).find((a) => a.name === name);
  if (!(await find())) {
    const r = await runJob(file, { args: ['400000', '24'] });
    assert.equal(r.code, 0, r.output.slice(-2000));
  }
  return waitFor(find, { what: `a finished ${name} run in the History Server`, timeoutMs: 120_000, intervalMs: 1000 });
}

/** Picks an item in the open quick pick by typing a filter and taking the first match. */
async function pick(page: Page, filter: string, expectTitle: RegExp): Promise<string> {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible', timeout: 30_000 });
  await waitFor(async () => (expectTitle.test((await widget.locator('.quick-input-title').innerText().catch(() => '')) ?? '') ? true : undefined), { what: `the quick pick ${expectTitle}`, timeoutMs: 30_000 });
  await widget.locator('.quick-input-box input').fill(filter);
  const row = widget.locator('.quick-input-list .monaco-list-row').first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  const text = (await row.innerText()).replace(/\s+/g, ' ');
  await page.keyboard.press('Enter');
  return text;
}

interface TableState {
  rows: { metric: string; cells: string[]; verdict: string }[];
  stages: number;
  charts: { id: string; painted: number }[];
  status: string;
}

async function tableState(frame: Frame): Promise<TableState> {
  return frame.evaluate(() => ({
    rows: Array.from(document.querySelectorAll<HTMLTableRowElement>('#metrics tbody tr')).map((tr) => ({
      metric: tr.dataset.metric ?? '',
      cells: Array.from(tr.children).map((c) => (c.textContent ?? '').trim()),
      verdict: tr.dataset.verdict ?? '',
    })),
    stages: document.querySelectorAll('#stages tbody tr').length,
    charts: Array.from(document.querySelectorAll<HTMLElement>('#overlays section.panel')).map((s) => {
      const c = s.querySelector('canvas')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
      return { id: s.dataset.overlay ?? '', painted };
    }),
    status: (document.getElementById('status')?.textContent ?? '').trim(),
  }));
}

describe('comparison webview in the workbench', () => {
  let server: CodeServer | undefined;
  let session: BrowserSession | undefined;
  let page: Page;
  let folder: string;
  let plain: HistoryApp;
  let cached: HistoryApp;

  before(async () => {
    plain = await finishedRun('seed-plain', 'seed_plain.py');
    cached = await finishedRun('seed-cached', 'seed_cached.py');
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'so-ui-compare-'));
    fs.writeFileSync(path.join(folder, 'job.py'), 'print("hello")\n');
    server = await startCodeServer({
      folder,
      extensionDevelopmentPath: REPO_ROOT,
      userSettings: {
        'sparkObservatory.prometheus.scrapeInterval': 2,
        'workbench.colorTheme': 'Default Dark Modern',
      },
      // Machine-scoped: where the window reads them after a reload too (see machineSettings).
      machineSettings: {
        'sparkObservatory.discovery.enabled': false,
        'sparkObservatory.sources': [
          { name: 'history', url: env.historyUrl, kind: 'history', group: 'ui' },
          { name: 'prometheus', url: env.prometheusUrl, kind: 'prometheus', group: 'ui' },
        ],
      },
    });
    session = await launchBrowser({ viewport: { width: 1500, height: 1500 } });
    page = session.page;
    await openWorkbench(page, server.workbenchUrl());
  });

  after(async () => {
    await session?.close();
    await server?.stop();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('picks A and B in the palette and shows the table, the stages and the overlaid charts (dark theme)', async () => {
    await screenshotOnFailure(page, 'compare-dark', async () => {
      // The Spark view container is there once the workbench has read the extension's contributions.
      await openViewContainer(page, 'Spark', 90_000);
      await waitFor(async () => {
        await runCommand(page, 'Spark: Compare Runs…');
        const widget = page.locator('.quick-input-widget');
        const ok = await widget.locator('.quick-input-title', { hasText: 'pick run A' }).waitFor({ state: 'visible', timeout: 20_000 }).then(() => true, () => false);
        if (!ok) await page.keyboard.press('Escape');
        return ok || undefined;
      }, { what: 'the quick pick for run A', timeoutMs: 90_000, intervalMs: 2000 });
      const a = await pick(page, plain.id, /pick run A/);
      const b = await pick(page, cached.id, /pick run B/);
      console.log(`picked A: ${a}\npicked B: ${b}`);
      assert.match(a, /^seed-plain ?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · \d.* · finished · History Server · ui$/);
      await page.mouse.move(700, 4);
      const frame = await webviewFrame(page, 'Compare: seed-plain ↔ seed-cached', 60_000);
      const state = await waitFor(async () => {
        const s = await tableState(frame);
        return s.rows.length === 16 && s.charts.length === 3 && s.charts.every((c) => c.painted > 300) ? s : undefined;
      }, { what: 'the table and three painted charts', timeoutMs: 60_000 });
      for (const r of state.rows) console.log(`  ${r.cells.join(' | ')}  [${r.verdict}]`);
      console.log(`  charts: ${state.charts.map((c) => `${c.id} ${c.painted} px`).join(', ')}; stages: ${state.stages}`);
      assert.equal(state.rows[0].cells[0], 'Wall time');
      // The cache's footprint: the History Server keeps the peak storage memory, not the datasets.
      assert.equal(state.rows.find((r) => r.metric === 'peakStorageMemoryBytes')?.verdict, 'worse');
      assert.ok(state.stages > 0);
      // The colours come from the theme: an improvement is the theme's green, a degradation its red.
      const colours = await frame.evaluate(() => {
        const of = (sel: string) => {
          const e = document.querySelector(sel);
          return e ? getComputedStyle(e).color : '';
        };
        return { worse: of('#metrics td.worse'), fg: getComputedStyle(document.body).color };
      });
      assert.notEqual(colours.worse, colours.fg);
      console.log(`screenshot: ${await screenshot(page, 'compare-dark')}`);
    });
  });

  it('copies the table as Markdown', async () => {
    const frame = await webviewFrame(page, 'Compare: seed-plain ↔ seed-cached');
    await frame.locator('#copy-md').click();
    const status = await waitFor(async () => {
      const s = (await tableState(frame)).status;
      return /Copied|Could not/.test(s) ? s : undefined;
    }, { what: 'the copy confirmation', timeoutMs: 15_000 });
    assert.match(status, /Copied the table as Markdown to the clipboard/);
  });

  it('re-reads the theme in a light theme', async () => {
    await screenshotOnFailure(page, 'compare-light', async () => {
      assert.ok(server);
      await setColorTheme(page, server, 'Default Light Modern', 'light');
      const frame = await webviewFrame(page, 'Compare: seed-plain ↔ seed-cached');
      await waitFor(async () => ((await frame.evaluate(() => document.body.classList.contains('vscode-light'))) ? true : undefined), { what: 'the light theme in the webview' });
      // Drawn again in the light theme's colours.
      await waitForThemedCanvases(frame, '#overlays section.panel canvas');
      const s = await tableState(frame);
      assert.ok(s.charts.every((c) => c.painted > 300));
      console.log(`screenshot: ${await screenshot(page, 'compare-light')}`);
    });
  });

  it('is restored after a reload, comparing the same runs (serializer, webview state)', async () => {
    await screenshotOnFailure(page, 'compare-reload', async () => {
      await reloadWindow(page);
      const frame = await webviewFrame(page, 'Compare: seed-plain ↔ seed-cached', 90_000);
      const s = await waitFor(async () => {
        const t = await tableState(frame);
        return t.rows.length === 16 && t.charts.length === 3 && t.charts.every((c) => c.painted > 300) ? t : undefined;
      }, { what: 'the restored table and three painted charts', timeoutMs: 90_000 });
      assert.equal(s.rows[0].cells[0], 'Wall time');
      const header = (side: 'a' | 'b') => frame.evaluate((x) => [document.getElementById(`${x}-name`)?.textContent, document.getElementById(`${x}-meta`)?.textContent], side);
      const [aName, aMeta] = await header('a');
      const [bName, bMeta] = await header('b');
      assert.equal(aName, 'seed-plain');
      assert.equal(aMeta?.split(' · ')[0], plain.id);
      assert.equal(bName, 'seed-cached');
      assert.equal(bMeta?.split(' · ')[0], cached.id);
      console.log(`screenshot: ${await screenshot(page, 'compare-reloaded')}`);
    });
  });
});
