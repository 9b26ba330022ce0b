/**
 * What a person sees: the inline hint after the spill job's save() line and its finding in the
 * Problems panel, while the job runs (live colours) and after it ended (dimmed), in the real
 * workbench (code-server + Chromium). Saves test-results/screenshots/inline-hints-live.png,
 * inline-hints-hover.png and inline-hints-ended.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { Page } from 'playwright-core';
import { startCodeServer, CodeServer } from '../harness/codeServer';
import { BrowserSession, inlineHintTexts, launchBrowser, openFile, openWorkbench, REPO_ROOT, runCommand, screenshot } from '../harness/browser';
import { buildSubmitCommand } from '../../src/launcher/submitCommand';
import { formatBytes } from '../../src/model/format';
import { waitFor } from '../harness/wait';

const CACHE = process.env.SPARK_OBSERVATORY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'spark-observatory');
const JOBS = join(REPO_ROOT, 'test', 'fixtures', 'jobs');
const SPILL = join(JOBS, 'spill.py');

function venv(): { python: string; sparkSubmit: string } {
  const lib = join(CACHE, 'pyspark-4.3.0', 'lib');
  const py = readdirSync(lib).find((d) => d.startsWith('python3'));
  const sparkSubmit = join(lib, py ?? 'python3', 'site-packages', 'pyspark', 'bin', 'spark-submit');
  if (!existsSync(sparkSubmit)) throw new Error(`no pyspark 4.3.0 virtualenv in ${CACHE} (scripts/provision.sh)`);
  return { python: join(CACHE, 'pyspark-4.3.0', 'bin', 'python'), sparkSubmit };
}

/** First free port of the discovery range 4040–4050, where the extension looks for drivers. */
async function discoveryPort(): Promise<number> {
  for (let p = 4040; p <= 4050; p++) {
    const ok = await new Promise<boolean>((res) => {
      const s = createServer();
      s.once('error', () => res(false));
      s.listen({ port: p, host: '127.0.0.1', exclusive: true }, () => s.close(() => res(true)));
    });
    if (ok) return p;
  }
  throw new Error('every port of 4040-4050 is taken');
}

/** Opens the Problems panel through the palette (its label carries a category in some builds). */
async function showProblems(page: Page): Promise<void> {
  for (const label of ['View: Toggle Problems (Errors, Warnings, Infos)', 'Toggle Problems (Errors, Warnings, Infos)', 'View: Focus Problems (Errors, Warnings, Infos)', 'Focus Problems (Errors, Warnings, Infos)']) {
    try {
      await runCommand(page, label, 5000);
      if (await page.locator('.markers-panel').first().isVisible()) return;
    } catch {
      await page.keyboard.press('Escape');
    }
  }
  throw new Error('could not open the Problems panel');
}

/** Go to Line (Control+G): the save() line is far below the fixture's docstring. */
async function goToLine(page: Page, line: number): Promise<void> {
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .view-line', { hasText: '.save()' }).first().waitFor({ timeout: 10_000 });
}

const saveLine = () => readFileSync(SPILL, 'utf8').split('\n').findIndex((l) => l.includes('.save()')) + 1;

describe('inline hints in the workbench', () => {
  let job: ChildProcess;
  let server: CodeServer;
  let session: BrowserSession;
  let uiUrl: string;
  let out = '';
  const tmp = mkdtempSync(join(tmpdir(), 'so-ui-hints-'));

  before(async () => {
    const v = venv();
    mkdirSync(join(tmp, 'eventlog'));
    const cmd = buildSubmitCommand({
      sparkSubmit: v.sparkSubmit, file: SPILL, master: 'local[2]', uiPort: await discoveryPort(),
      eventLogDir: join(tmp, 'eventlog'), hookDir: join(REPO_ROOT, 'src', 'launcher', 'python'), python: v.python,
      extraConf: { 'spark.ui.showConsoleProgress': 'false' }, env: { HOLD_SECONDS: '150' },
    });
    uiUrl = cmd.uiUrl;
    job = spawn(cmd.command, [...cmd.args], { env: { ...process.env, ...cmd.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    job.stdout!.on('data', (d) => (out += d));
    job.stderr!.on('data', (d) => (out += d));
    server = await startCodeServer({
      folder: JOBS, extensionDevelopmentPath: REPO_ROOT,
      userSettings: { 'sparkObservatory.refreshInterval': 1, 'sparkObservatory.statusBarInterval': 5, 'workbench.colorTheme': 'Default Dark Modern' },
    });
    session = await launchBrowser({ viewport: { width: 1600, height: 900 } });
  });

  after(async () => {
    await session?.close();
    await server?.stop();
    if (job?.pid && job.exitCode === null) {
      try {
        process.kill(-job.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      await new Promise((r) => job.once('close', r));
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  test('the hint follows the save() line while the job runs, the finding is in Problems, and both stay dimmed after it ends', async () => {
    const page = session.page;
    await openWorkbench(page, server.workbenchUrl());
    await openFile(page, 'spill.py');
    await showProblems(page);
    const line = saveLine();
    await goToLine(page, line);
    // Live: the job is sorting; the hint appears and grows with it. Once the job's work is done
    // ("sorted N rows"), the hint reaches the run's final figures: Spark's, read at each try.
    let hints: { text: string; italic: boolean; color: string }[] = [];
    const live = await waitFor(async () => {
      if (job.exitCode !== null) return { ended: true, disk: 0 };
      hints = await inlineHintTexts(page);
      if (!/sorted \d+ rows/.test(out)) return undefined;
      const app = ((await (await fetch(`${uiUrl}/api/v1/applications`)).json()) as { id: string }[])[0].id;
      const stages = (await (await fetch(`${uiUrl}/api/v1/applications/${app}/stages`)).json()) as { diskBytesSpilled: number }[];
      const disk = stages.reduce((s, x) => s + x.diskBytesSpilled, 0);
      // The work is done, so Spark's total is final: a hint showing it comes from a poll after the last stage.
      // Not "(running)": the store reads the job's end (and its last stage) at the poll after it.
      return hints.length === 1 && hints[0].text.includes(` · spill ${formatBytes(disk)} ⚠`) && !hints[0].text.includes('(running)') ? { ended: false, disk } : undefined;
    }, { what: 'the hint with the run\'s final figures', timeoutMs: 300_000, intervalMs: 1000 }).catch(() => ({ ended: false, disk: -1 }));
    if (live.ended) {
      const shot = await screenshot(page, 'inline-hints-failed');
      const html = await page.locator('.monaco-editor .view-line', { hasText: '.save()' }).first().innerText().catch((e) => String(e));
      throw new Error(`the job ended before the hint showed its spill (${shot}); hints ${JSON.stringify(hints)}; save() line: ${html}\n${out.slice(-1000)}`);
    }
    const disk = live.disk;
    console.log(`    screenshot: ${await screenshot(page, 'inline-hints-live')}\n    hints: ${JSON.stringify(hints)}`);
    // One text after the line, in the theme's warning colour because it reports spill.
    const themeColor = (name: string) =>
      page.evaluate((n) => {
        const probe = document.createElement('span');
        probe.style.color = `var(--vscode-${n})`;
        (document.querySelector('.monaco-workbench') ?? document.body).appendChild(probe); // where the theme's variables live
        const c = getComputedStyle(probe).color;
        probe.remove();
        return c;
      }, name);
    assert.equal(hints.length, 1, JSON.stringify(hints));
    const [main] = hints;
    assert.match(main.text, /^◷ .* · 2 jobs · 3 stages · 8 tasks · spill .* ⚠ · shuffle r .* · GC \d/);
    assert.ok(main.text.includes(` · spill ${formatBytes(disk)} ⚠`), main.text);
    assert.equal(main.color, await themeColor('editorWarning-foreground'), 'spill: the warning colour');
    assert.equal(main.italic, false, 'live hints are not dimmed');
    const problems = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
    console.log(`    problems: ${JSON.stringify(problems)}`);
    assert.ok(problems.some((p) => p.includes('spilled') && p.includes(`[Ln ${line}`)), JSON.stringify(problems));

    // The hover: the stage table.
    await page.locator('.monaco-editor .view-line', { hasText: '.save()' }).first().hover({ position: { x: 60, y: 5 } });
    const hoverContent = page.locator('.monaco-hover-content', { hasText: 'Shuffle r / w' }).first();
    await hoverContent.waitFor({ timeout: 20_000 });
    // It fades in: the screenshot waits for the hover's animations to end.
    await hoverContent.evaluate((e) => Promise.all((e.closest('.monaco-hover') ?? e).getAnimations({ subtree: true }).map((a) => a.finished)).then(() => undefined));
    const hover = await screenshot(page, 'inline-hints-hover');
    console.log(`    screenshot: ${hover}`);
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');

    // Ended: the driver is gone; the last run's hints stay, dimmed, and the finding stays.
    await new Promise((r) => job.once('close', r));
    await waitFor(async () => {
      hints = await inlineHintTexts(page);
      return hints.some((h) => h.text.startsWith('◷') && h.italic) || undefined;
    }, { what: 'the hint dimmed', timeoutMs: 90_000, intervalMs: 1000 }).catch(() => undefined); // the assertions below say what is missing
    const ended = await screenshot(page, 'inline-hints-ended');
    console.log(`    screenshot: ${ended}\n    hints: ${JSON.stringify(hints)}`);
    const dimmed = hints.find((h) => h.text.startsWith('◷'));
    assert.ok(dimmed?.italic, 'dimmed after the run ended');
    assert.equal(dimmed.color, await themeColor('disabledForeground'), 'a lower-contrast colour');
    assert.equal(dimmed.text, main.text);
  });
});
