/**
 * Local work with nothing but pyspark, as a newcomer meets it in the real workbench: examples/
 * open, no source configured and Prometheus switched off (discovery looks for drivers only), the
 * pyspark virtualenv as python.defaultInterpreterPath. Run File on seed.py; the dashboard of the
 * run draws the built-in series (each panel says so); when the run ends, the extension's own
 * History Server lists it as finished in the tree; after a window reload (a new extension host,
 * our History Server gone with the old one) the file shows that run again: hints dimmed, lenses
 * saying the run ended. Screenshots: test-results/screenshots/local-dashboard-builtin.png,
 * local-tree-own-history.png, local-new-window.png. Times are printed, never asserted.
 *
 *   npm run build && npm run compile-tests && node --test out/test/ui/localWork.ui.test.js
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import {
  REPO_ROOT,
  codeLensTexts,
  inlineHintTexts,
  launchBrowser,
  openFile,
  openViewContainer,
  openWorkbench,
  reloadWindow,
  runCommand,
  runCommandAndPick,
  screenshot,
  screenshotOnFailure,
  waitForTreeRow,
  waitForView,
  webviewFrame,
  type BrowserSession,
} from '../harness/browser';
import { startCodeServer, type CodeServer } from '../harness/codeServer';
import { freePort, readEnv, venv, waitFor } from '../integration/env';

const env = readEnv();
const TAG = `ui-local-${process.pid}-${Date.now()}`;

/** Pids whose environment carries our SO_TAG (what the window started: jobs, our History Server). */
function tagged(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(`SO_TAG=${TAG}`)) out.push(Number(d));
    } catch {
      /* gone or not ours to read */
    }
  }
  return out;
}

/** The dashboard's panels: drawn or not, painted pixels, and the source each says it shows. */
async function panels(frame: Frame): Promise<{ id: string; painted: number; source: string; sourceText: string; message: string }[]> {
  return frame.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('section.panel')).map((s) => {
      const box = s.querySelector('.chart-box');
      const canvas = s.querySelector('canvas');
      let painted = 0;
      if (box && !box.classList.contains('hidden') && canvas && canvas.width > 0) {
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
      }
      return {
        id: s.dataset.panel ?? '',
        painted,
        source: s.dataset.source ?? '',
        sourceText: (s.querySelector('.panel-source')?.textContent ?? '').trim(),
        message: (s.querySelector('.panel-message')?.textContent ?? '').trim(),
      };
    }),
  );
}

/** The extension's log as "Spark: Show Log" shows it (the lines on screen). */
async function extensionLog(page: Page): Promise<string[]> {
  await runCommand(page, 'Spark: Show Log');
  const lines = page.locator('.part.panel .monaco-editor .view-lines').first();
  const text = await waitFor(async () => ((await lines.innerText({ timeout: 1000 }).catch(() => '')).trim() || undefined), { what: 'the log on screen', timeoutMs: 10_000, intervalMs: 250 }).catch(() => '');
  return text.split('\n');
}

describe('local work with nothing but pyspark, in the workbench', () => {
  let server: CodeServer | undefined;
  let session: BrowserSession | undefined;
  let page: Page;

  before(async () => {
    // A driver port of our own: other jobs on this machine use 4040-4050, and discovery would list them.
    const port = await freePort();
    server = await startCodeServer({
      folder: path.join(REPO_ROOT, 'examples'),
      extensionDevelopmentPath: REPO_ROOT,
      env: { ...process.env, SO_TAG: TAG },
      userSettings: {
        // No source, no History Server, no Prometheus: drivers on the discovery range only.
        'sparkObservatory.sources': [],
        'sparkObservatory.discovery.driverPorts': String(port),
        'sparkObservatory.discovery.historyServerPort': 0,
        'sparkObservatory.discovery.masterPort': 0,
        'sparkObservatory.discovery.prometheusPort': 0,
        'sparkObservatory.run.master': 'local[2]',
        // Spark reports the peak heap with heartbeats, the first 10-20 s after the start by
        // default: the example can end before. Heartbeats every second (the first within 2 s).
        'sparkObservatory.run.extraConf': { 'spark.executor.heartbeatInterval': '1s' },
        'python.defaultInterpreterPath': venv(env.pysparkVersion).python,
        'workbench.colorTheme': 'Default Dark Modern',
      },
    });
    session = await launchBrowser({ viewport: { width: 1600, height: 1500 } });
    page = session.page;
    await openWorkbench(page, server.workbenchUrl());
  });

  after(async () => {
    await session?.close();
    await server?.stop();
    // The window closed: what it started (a run, our History Server) is gone with it.
    const left = await waitFor(async () => (tagged().length === 0 ? true : undefined), { what: 'no process of the window left', timeoutMs: 30_000 }).catch(() => false);
    const pids = tagged();
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    assert.ok(left, `processes left after the window closed: ${pids.join(' ')}`);
  });

  it('a file run from the window gets a dashboard drawn from the built-in series, each panel saying so', async () => {
    await screenshotOnFailure(page, 'local-dashboard-builtin', async () => {
      await openViewContainer(page, 'Spark');
      await waitForView(page, 'Applications');
      await openFile(page, 'seed.py');
      // As a newcomer does: the lens above the SparkSession.
      const lens = page.locator('.codelens-decoration a', { hasText: 'Run File with Observability' }).first();
      await lens.waitFor({ timeout: 60_000 });
      const t0 = Date.now();
      await lens.click();
      const row = await waitForTreeRow(page, /^seedRUNNING/, 'Applications', 180_000);
      const listed = Date.now();
      console.log(`tree: "${row}" ${((listed - t0) / 1000).toFixed(1)} s after Run File`);
      // From the palette: the tree's row is replaced when the run ends (the driver's row gives way
      // to our History Server's), and an inline action clicked on the old row opens nothing.
      await runCommandAndPick(page, 'Spark: Open Dashboard', [/seed.*running/]);
      const frame = await webviewFrame(page, 'Spark: seed', 60_000);
      const drawn = await waitFor(async () => {
        const ps = await panels(frame);
        const storage = ps.find((p) => p.id === 'storageMemory');
        return storage && storage.painted > 500 && storage.source === 'built-in' ? ps : undefined;
      }, { what: 'the storage panel drawn from built-in series', timeoutMs: 120_000, intervalMs: 250 });
      console.log(`charts with data ${((Date.now() - listed) / 1000).toFixed(1)} s after the application was listed (${((Date.now() - t0) / 1000).toFixed(1)} s after Run File)`);
      for (const p of drawn) console.log(`  ${p.id}: ${p.painted} px · ${p.sourceText}${p.message ? ` · ${p.message}` : ''}`);
      for (const p of drawn.filter((x) => x.id !== 'custom')) assert.match(p.sourceText, /built-in series/, p.id);
      assert.match(drawn.find((p) => p.id === 'pythonRss')!.message, /Not in the built-in series/);
      assert.match((await frame.locator('#status').innerText()).trim(), /built-in series: no Prometheus has this application/);
      // A line needs two points: the next poll's.
      await waitFor(async () => (/a point every [\d.]+ s/.test(await frame.locator('#status').innerText()) ? true : undefined), { what: 'a second point', timeoutMs: 60_000, intervalMs: 250 });
      console.log(`lines (two points or more) ${((Date.now() - listed) / 1000).toFixed(1)} s after the application was listed`);
      // More points, and the peak heap (reported with the executors' heartbeats), for the picture.
      await waitFor(async () => {
        const ps = await panels(frame);
        return ['jvmHeap', 'gcShare', 'taskRate'].every((id) => { const p = ps.find((x) => x.id === id); return p && p.painted > 0 && p.message === ''; }) || undefined;
      }, { what: 'heap, GC share and task rate drawn', timeoutMs: 120_000 });
      await waitFor(async () => { const m = /a point every ([\d.]+) s/.exec(await frame.locator('#status').innerText()); return m ? true : undefined; }, { what: 'status', timeoutMs: 10_000 });
      console.log(`status: ${(await frame.locator('#status').innerText()).trim()}`);
      console.log(`screenshot: ${await screenshot(page, 'local-dashboard-builtin')}`);
    });
  });

  it('when the run ends, the extension\'s own History Server lists it as finished', async () => {
    await screenshotOnFailure(page, 'local-tree-own-history', async () => {
      await runCommand(page, 'View: Close All Editors');
      const first = await waitForTreeRow(page, /^seedCOMPLETED.*\(history\)/, 'Applications', 420_000);
      console.log(`tree: "${first}"`);
      // The History Server replays the run's event log at its first read: on a busy machine that
      // can outlast one request's timeout (the row says stale), and the next poll reads it.
      const row = await waitForTreeRow(page, /^seedCOMPLETED(?!.*stale).*\(history\)/, 'Applications', 120_000);
      console.log(`tree: "${row}"`);
      console.log(`screenshot: ${await screenshot(page, 'local-tree-own-history')}`);
      // What the extension logged about its History Server (Spark: Show Log).
      for (const l of (await extensionLog(page)).filter((x) => /History Server|history/i.test(x))) console.log(`  log: ${l}`);
      assert.doesNotMatch(row, /stale/);
    });
  });

  it('a new window shows the finished run: its hints dimmed, its lenses saying the run ended', async () => {
    await screenshotOnFailure(page, 'local-new-window', async () => {
      // A new extension host (the old one stopped our History Server with it): nothing of the
      // run in memory, only the run history the window keeps.
      await reloadWindow(page);
      await openFile(page, 'seed.py');
      const hints = await waitFor(async () => {
        const h = await inlineHintTexts(page);
        return h.some((x) => x.text.startsWith('◷') && x.italic) ? h : undefined;
      }, { what: 'the finished run\'s hints, dimmed', timeoutMs: 180_000, intervalMs: 1000 }).catch(async (e: Error) => {
        throw new Error(`${e.message}; the extension's log:\n${(await extensionLog(page)).slice(-30).join('\n')}`);
      });
      const lenses = await waitFor(async () => {
        const t = await codeLensTexts(page);
        return t.filter((x) => /run ended/.test(x)).length === 2 ? t : undefined;
      }, { what: 'both cache lenses saying the run ended', timeoutMs: 60_000, intervalMs: 500 });
      console.log(`hints: ${JSON.stringify(hints.map((h) => h.text))}\nlenses: ${JSON.stringify(lenses)}`);
      for (const l of lenses) assert.doesNotMatch(l, /not materialised/);
      assert.ok(hints.some((h) => /jobs? · \d+ stages? · \d+ tasks?/.test(h.text)), JSON.stringify(hints));
      console.log(`screenshot: ${await screenshot(page, 'local-new-window')}`);
    });
  });
});
