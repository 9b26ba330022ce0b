/**
 * The Applications view and the status bar inside a real VS Code extension host, reading a
 * real Spark environment: tree items are read through the extension's tree provider exactly as
 * the workbench reads them, and compared with Spark's own REST answers.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { driverApp, getJson, readEnv, RunningJob, startJob, waitFor } from '../../integration/env';
import type { SparkObservatoryApi } from '../../../src/extension';
import type { Node } from '../../../src/features/explorer/appsTree';
import { formatBytes } from '../../../src/model/format';

const EXTENSION_ID = 'spark-observatory.spark-observatory';

async function api(): Promise<SparkObservatoryApi> {
  const ext = vscode.extensions.getExtension<SparkObservatoryApi>(EXTENSION_ID);
  assert.ok(ext, 'extension installed');
  return ext.activate();
}

function label(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

/** Children of a node with their rendered items, as the tree view sees them. */
async function rows(a: SparkObservatoryApi, node?: Node): Promise<Array<{ node: Node; item: vscode.TreeItem; label: string }>> {
  const children = (await a.tree.getChildren(node)) ?? [];
  return children.map((n) => {
    const item = a.tree.getTreeItem(n) as vscode.TreeItem;
    return { node: n, item, label: label(item) };
  });
}

/** The application's node once its live driver serves it (the History Server may list it first). */
async function findApp(a: SparkObservatoryApi, name: string) {
  return waitFor(
    async () => {
      for (const g of await rows(a)) {
        const app = (await rows(a, g.node)).find((r) => r.label === name && r.item.contextValue === 'application.running.driver');
        if (app) return app;
      }
      return undefined;
    },
    { what: `application ${name} in the tree`, timeoutMs: 120_000, intervalMs: 1000 },
  );
}

/**
 * A group under an application, read afresh from the application node: nodes hold the data
 * they were built from, and the workbench re-reads from the top after every change, so a test
 * must too.
 */
async function group(a: SparkObservatoryApi, appName: string, name: string) {
  const app = await findApp(a, appName);
  const g = (await rows(a, app.node)).find((r) => r.label === name);
  assert.ok(g, `${name} under ${appName}`);
  return g;
}

describe('Applications view over a real Spark', function () {
  this.timeout(400_000);
  const env = readEnv();
  let job: RunningJob;
  let appId: string;
  let a: SparkObservatoryApi;

  before(async function () {
    this.timeout(300_000);
    a = await api();
    await vscode.commands.executeCommand('sparkObservatory.applications.focus');
    job = await startJob('seed_cached.py', { master: env.masterUrl, env: { HOLD_SECONDS: '300' } });
    appId = (await driverApp(job.uiUrl)).id;
    await waitFor(
      async () => {
        const rdds = await getJson<Array<{ memoryUsed: number; numCachedPartitions: number; numPartitions: number }>>(`${job.uiUrl}/api/v1/applications/${appId}/storage/rdd`);
        return rdds.length === 2 && rdds.every((r) => r.memoryUsed > 0 && r.numCachedPartitions === r.numPartitions) ? true : undefined;
      },
      { what: 'the seed job to materialise its two caches', timeoutMs: 240_000, intervalMs: 1000 },
    );
  });

  after(async () => {
    await job?.stop();
  });

  it('lists the running application under the local group, with state and cores', async () => {
    const app = await findApp(a, 'seed-cached');
    assert.match(String(app.item.description), /^RUNNING · .* · 2 cores · 4\.3\.0/);
    assert.equal(app.item.contextValue, 'application.running.driver');
    assert.equal(app.item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const group = (await rows(a)).find((g) => g.label === 'local');
    assert.ok(group, 'local group');
    // The Master configured for the test gives the group its cluster description.
    assert.match(String(group.item.description), /2 workers · \d\/2 cores/);
  });

  it('expanding the application shows executors, jobs, stages, cached datasets and configuration', async () => {
    const app = await findApp(a, 'seed-cached');
    const groups = await waitFor(
      async () => {
        const r = await rows(a, app.node);
        return r.length >= 5 ? r : undefined;
      },
      { what: 'application details', timeoutMs: 30_000 },
    );
    // Alerts about the application (if Prometheus fires any) come first; then the five groups.
    const names = ['Executors', 'Jobs', 'Stages', 'Cached datasets', 'Configuration'];
    assert.deepEqual(groups.filter((g) => names.includes(g.label)).map((g) => g.label), names);

    // Storage memory moves with broadcasts and heartbeats: compare when Spark's answer is the
    // same before and after the extension's poll.
    type RawExec = { id: string; isActive: boolean; memoryUsed: number; maxMemory: number };
    const url = `${job.uiUrl}/api/v1/applications/${appId}/allexecutors`;
    const figures = (l: RawExec[]) => JSON.stringify(l.map((e) => [e.id, e.isActive, e.memoryUsed, e.maxMemory]));
    const { raw, executors } = await waitFor(
      async () => {
        const before = await getJson<RawExec[]>(url);
        await vscode.commands.executeCommand('sparkObservatory.refresh');
        const executors = await rows(a, (await group(a, 'seed-cached', 'Executors')).node);
        const after = await getJson<RawExec[]>(url);
        return figures(before) === figures(after) ? { raw: after, executors } : undefined;
      },
      { what: 'a stable moment to compare executors', timeoutMs: 60_000, intervalMs: 200 },
    );
    const active = raw.filter((e) => e.isActive);
    assert.deepEqual(executors.map((e) => e.label), ['driver', ...active.filter((e) => e.id !== 'driver').map((e) => e.id).sort()]);
    for (const e of active) {
      const row = executors.find((r) => r.label === e.id)!;
      assert.ok(String(row.item.description).includes(`${formatBytes(e.memoryUsed)} / ${formatBytes(e.maxMemory)}`), `${e.id}: ${row.item.description}`);
    }

    const rawRdds = await getJson<Array<{ id: number; memoryUsed: number; numPartitions: number; numCachedPartitions: number }>>(`${job.uiUrl}/api/v1/applications/${appId}/storage/rdd`);
    const cachedGroup = await group(a, 'seed-cached', 'Cached datasets');
    assert.match(String(cachedGroup.item.description), /^2 · /);
    const cached = await rows(a, cachedGroup.node);
    assert.equal(cached.length, 2);
    for (const r of rawRdds) {
      const row = cached.find((c) => String(c.item.id).endsWith(`/cached/${r.id}`))!;
      assert.equal(row.item.description, `MEMORY_AND_DISK · ${formatBytes(r.memoryUsed)} · ${r.numCachedPartitions}/${r.numPartitions}`);
      const tip = row.item.tooltip as vscode.MarkdownString;
      assert.ok(!tip.isTrusted && !tip.supportHtml, 'tooltip is untrusted markdown');
    }

    const config = await rows(a, (await group(a, 'seed-cached', 'Configuration')).node);
    assert.ok(config.some((c) => c.label === 'spark.executor.memory'));
    assert.ok(config.some((c) => c.label === 'Spark version' && c.item.description === '4.3.0'));
  });

  it('the status bar sums running applications, executors and cached bytes', async () => {
    // What it should say, from Spark's own answers for every application a live driver serves
    // (other jobs may run beside this one on a developer's machine).
    const expected = async () => {
      const live = a.store.applications().filter((e) => e.via === 'driver' && e.app.state === 'running' && !e.stale);
      let executors = 0;
      let cached = 0;
      for (const e of live) {
        const base = `${a.store.source(e.sourceId)!.config.url}/api/v1/applications/${e.app.id}`;
        const ex = (await getJson<Array<{ isActive: boolean }>>(`${base}/executors`)).filter((x) => x.isActive).length;
        executors += ex > 1 ? ex - 1 : ex; // the driver counts only in local mode, where it is the executor
        for (const r of await getJson<Array<{ memoryUsed: number; diskUsed: number }>>(`${base}/storage/rdd`)) cached += r.memoryUsed + r.diskUsed;
      }
      return `$(zap) Spark ${live.length} running · ${executors} executor${executors === 1 ? '' : 's'} · ${formatBytes(cached)} cached`;
    };
    let last = '';
    let want = '';
    await waitFor(
      async () => {
        await vscode.commands.executeCommand('sparkObservatory.refresh');
        want = await expected();
        last = a.statusBar.text;
        // Firing alerts, if any, follow the summary.
        return last === want || last.startsWith(`${want} · $(bell-dot)`) ? true : undefined;
      },
      { what: 'the status bar summary', timeoutMs: 60_000, intervalMs: 1000 },
    ).catch((e: Error) => {
      throw new Error(`${e.message}; status bar said "${last}", expected "${want}"`);
    });
    assert.match(want, /^\$\(zap\) Spark [1-9]\d* running · [1-9]\d* executors? · [1-9]/);
  });
});

describe('untrusted names from Spark', function () {
  this.timeout(300_000);
  let job: RunningJob;
  let a: SparkObservatoryApi;
  const hostileName = '<img src=x onerror=alert(1)>';

  before(async function () {
    this.timeout(200_000);
    a = await api();
    job = await startJob('hostile_names.py', { master: 'local[1]', env: { HOLD_SECONDS: '200' } });
    await driverApp(job.uiUrl);
  });
  after(async () => job?.stop());

  it('shows an application named like HTML literally, in an untrusted tooltip', async () => {
    const app = await findApp(a, hostileName);
    assert.equal(app.label, hostileName);
    const tip = app.item.tooltip as vscode.MarkdownString;
    assert.ok(!tip.isTrusted, 'not trusted');
    assert.ok(!tip.supportHtml, 'no HTML');
    // appendText escapes markup characters, so the name is shown, not interpreted.
    assert.ok(!tip.value.includes(hostileName), 'raw HTML is not in the markdown source');
  });

  it('shows a job description holding a command link as text; it runs nothing', async () => {
    const jobs = await waitFor(
      async () => {
        const r = await rows(a, (await group(a, hostileName, 'Jobs')).node);
        return r.some((j) => j.label.includes('command:')) ? r : undefined;
      },
      { what: 'the job with the command link', timeoutMs: 60_000, intervalMs: 1000 },
    );
    const linkJob = jobs.find((j) => j.label.includes('[run](command:workbench.action.terminal.new)'));
    assert.ok(linkJob, `job label shows the description literally: ${jobs.map((j) => j.label).join(' | ')}`);
    assert.equal(linkJob.item.command, undefined, 'a job row runs no command');
    const tip = linkJob.item.tooltip as vscode.MarkdownString;
    assert.ok(!tip.isTrusted);
    assert.ok(!tip.value.includes('](command:'), 'the link is escaped in the markdown source');
  });
});
