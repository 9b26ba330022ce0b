/**
 * What a person sees: the cache lenses over seed_cached.py while the job runs with the hook, in
 * the real workbench (code-server + Chromium). Saves test-results/screenshots/cache-lenses.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startCodeServer, CodeServer } from '../harness/codeServer';
import { BrowserSession, codeLensTexts, launchBrowser, openFile, openWorkbench, REPO_ROOT, screenshot } from '../harness/browser';
import { buildSubmitCommand } from '../../src/launcher/submitCommand';
import { formatBytes } from '../../src/model/format';
import { waitFor } from '../harness/wait';

const CACHE = process.env.SPARK_OBSERVATORY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'spark-observatory');
const JOBS = join(REPO_ROOT, 'test', 'fixtures', 'jobs');
const SEED = join(JOBS, 'seed_cached.py');

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

describe('cache lenses in the workbench', () => {
  let job: ChildProcess;
  let server: CodeServer;
  let session: BrowserSession;
  let uiUrl: string;
  let out = '';
  const tmp = mkdtempSync(join(tmpdir(), 'so-ui-lens-'));

  before(async () => {
    const v = venv();
    mkdirSync(join(tmp, 'eventlog'));
    const cmd = buildSubmitCommand({
      sparkSubmit: v.sparkSubmit, file: SEED, args: ['400000', '24'], master: 'local[2]', uiPort: await discoveryPort(),
      eventLogDir: join(tmp, 'eventlog'), hookDir: join(REPO_ROOT, 'src', 'launcher', 'python'), python: v.python,
      extraConf: { 'spark.ui.showConsoleProgress': 'false' }, env: { HOLD_SECONDS: '240' },
    });
    uiUrl = cmd.uiUrl;
    job = spawn(cmd.command, [...cmd.args], { env: { ...process.env, ...cmd.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    job.stdout!.on('data', (d) => (out += d));
    job.stderr!.on('data', (d) => (out += d));
    await waitFor(() => {
      if (job.exitCode !== null) throw new Error(`the job ended early:\n${out.slice(-2000)}`);
      return /seed-cached done/.test(out) || undefined;
    }, { what: 'the seed job to finish its work', timeoutMs: 300_000 });
    server = await startCodeServer({ folder: JOBS, extensionDevelopmentPath: REPO_ROOT, userSettings: { 'sparkObservatory.refreshInterval': 2 } });
    session = await launchBrowser({ viewport: { width: 1500, height: 820 } });
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

  test('shows each cached dataset\'s measured memory above its line', async () => {
    const page = session.page;
    await openWorkbench(page, server.workbenchUrl());
    await openFile(page, 'seed_cached.py');
    const lines = readFileSync(SEED, 'utf8').split('\n');
    const l1 = lines.findIndex((l) => l.includes('df1.cache()')) + 1;
    const l2 = lines.findIndex((l) => l.includes('df2 = df2.cache()')) + 1;
    // Monaco renders lenses of visible lines only: bring the cache calls into view.
    await page.keyboard.press('Control+G');
    await page.keyboard.type(String(l2 + 10));
    await page.keyboard.press('Enter');
    const app = ((await (await fetch(`${uiUrl}/api/v1/applications`)).json()) as { id: string }[])[0].id;
    const rdds = (await (await fetch(`${uiUrl}/api/v1/applications/${app}/storage/rdd`)).json()) as { name: string; memoryUsed: number }[];
    const df1 = rdds.find((r) => r.name === `df1.cache() at ${SEED}:${l1}`);
    const df2 = rdds.find((r) => r.name === `df2.cache() at ${SEED}:${l2}`);
    assert.ok(df1 && df2, `hook names: ${rdds.map((r) => r.name).join(' | ')}`);
    const want = [`${formatBytes(df1.memoryUsed)} in memory`, `${formatBytes(df2.memoryUsed)} in memory`];
    let texts: string[] = [];
    await waitFor(async () => {
      texts = await codeLensTexts(page);
      return want.every((w) => texts.some((t) => t.includes(w))) || undefined;
    }, { what: `lenses with ${want.join(' and ')}`, timeoutMs: 120_000, intervalMs: 1000 }).catch(() => undefined); // the assertions below say what is missing
    const file = await screenshot(page, 'cache-lenses');
    console.log(`    screenshot: ${file}\n    lenses: ${JSON.stringify(texts)}`);
    assert.ok(texts.some((t) => t.includes(want[0]) && t.includes('MEMORY_AND_DISK')), `df1 lens with ${want[0]}: ${JSON.stringify(texts)}`);
    assert.ok(texts.some((t) => t.includes(want[1])), `df2 lens with ${want[1]}: ${JSON.stringify(texts)}`);
  });
});
