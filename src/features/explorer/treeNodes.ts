/**
 * The upper nodes of the Applications tree: groups (a host or a configured group), their
 * sources' problems, a Master's workers, and applications. Nodes render themselves and list
 * their children. Nodes the tree refreshes one by one (groups, applications and the lists under
 * an application) are kept by id and read the store when drawn, so a change event refreshes
 * exactly the node whose key changed (appsTree.ts).
 */
import * as vscode from 'vscode';
import type { AppEntry, GroupState, SourceState, Store } from '../../store/store';
import { executorTotals } from '../../model/appSummary';
import { formatAge, formatBytes, formatDuration } from '../../model/format';
import { isLiveApplication, isSourceProblem } from '../../model/liveness';
import { clockNote, runningFor } from '../../model/driverClock';
import type { SparkAlert } from '../../model/alerts';
import { SafeMarkdown } from '../../ui/markdown';
import { HasApp, MessageNode, Node, NodeContext, treeItem, UiPage } from './node';
import { appChildren } from './appNodes';

function sourceLabel(s: SourceState): string {
  return `${s.config.name} (${s.config.connect ? `Spark Connect server ${s.config.connect}` : (s.kind ?? 'unknown kind')})`;
}

export class GroupNode extends Node {
  readonly id: string;
  constructor(readonly name: string) {
    super();
    this.id = `group:${name}`;
  }
  private group(ctx: NodeContext): GroupState {
    return ctx.store.groups().find((g) => g.name === this.name) ?? { name: this.name, sources: [], apps: [] };
  }
  item(ctx: NodeContext): vscode.TreeItem {
    const g = this.group(ctx);
    const t = treeItem(g.name, true, true);
    t.id = this.id;
    const m = g.master;
    const bits: string[] = [];
    if (m) bits.push(m.url, `${m.aliveWorkers} worker${m.aliveWorkers === 1 ? '' : 's'}`, `${m.coresUsed}/${m.cores} cores`);
    else bits.push(`${g.sources.length} source${g.sources.length === 1 ? '' : 's'}`);
    const failing = g.sources.filter(isSourceProblem);
    if (failing.length) bits.push(`⚠ ${failing.length} unreachable`);
    t.description = bits.join(' · ');
    const tip = new SafeMarkdown().heading(g.name);
    for (const s of g.sources) {
      tip.field(sourceLabel(s), s.status === 'error' ? `${s.error?.message ?? 'error'} (${formatAge(ctx.now() - (s.error?.at ?? ctx.now()))})` : s.status === 'ok' ? `${s.config.url} · ok` : `${s.config.url} · connecting`);
    }
    t.tooltip = tip.md;
    t.iconPath = new vscode.ThemeIcon(failing.length ? 'warning' : 'server-environment');
    t.contextValue = 'group';
    return t;
  }
  override children(ctx: NodeContext): Node[] {
    const g = this.group(ctx);
    const out: Node[] = [];
    for (const s of g.sources.filter(isSourceProblem)) out.push(new SourceProblemNode(s));
    if (g.master) out.push(new WorkersNode(this.id, g));
    for (const e of g.apps) out.push(ctx.keep(`app:${e.key}`, () => new AppNode(e.key, e)));
    if (out.length === 0) out.push(new MessageNode(`${this.id}/empty`, 'No application', 'info'));
    for (const n of out) n.parent = this;
    return out;
  }
}

export class SourceProblemNode extends Node {
  readonly id: string;
  constructor(readonly source: SourceState) {
    super();
    this.id = `source-problem:${source.config.id}`;
  }
  item(ctx: NodeContext): vscode.TreeItem {
    const s = this.source;
    const t = treeItem(`${s.config.name} unreachable`, false);
    t.id = this.id;
    const age = s.lastOkAt ? `last good data ${formatAge(ctx.now() - s.lastOkAt)}` : 'never reached';
    t.description = `${s.error?.message ?? ''} · ${age}`;
    t.tooltip = new SafeMarkdown().field('Source', s.config.url).field('Kind', s.kind).field('Error', s.error?.message).field('Since', s.error ? formatAge(ctx.now() - s.error.at) : undefined).text(age).md;
    t.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    t.contextValue = 'sourceProblem';
    return t;
  }
}

export class WorkersNode extends Node {
  readonly id: string;
  constructor(
    parentId: string,
    private readonly group: GroupState,
  ) {
    super();
    this.id = `${parentId}/workers`;
  }
  item(): vscode.TreeItem {
    const m = this.group.master!;
    const t = treeItem('Workers', true);
    t.id = this.id;
    t.description = `${m.aliveWorkers} alive of ${m.workers.length} · ${m.coresUsed}/${m.cores} cores · ${formatBytes(m.memoryUsedMb * 1048576)} / ${formatBytes(m.memoryMb * 1048576)}`;
    t.iconPath = new vscode.ThemeIcon('server');
    t.contextValue = 'workers';
    return t;
  }
  override children(): Node[] {
    return this.group.master!.workers.map(
      (w) =>
        new MessageNode(
          `${this.id}/${w.id}`,
          `${w.host}:${w.port}`,
          w.alive ? 'vm-running' : 'vm-outline',
          `${w.id}\n${w.state}`,
          w.alive ? undefined : 'list.warningForeground',
          `${w.state} · ${w.coresUsed}/${w.cores} cores · ${formatBytes(w.memoryUsedMb * 1048576)} / ${formatBytes(w.memoryMb * 1048576)}`,
        ),
    );
  }
}

export class AppNode extends Node implements HasApp {
  readonly id: string;
  readonly uiPage: UiPage = { page: 'app' };
  private last: AppEntry;
  private store?: Store;
  constructor(
    readonly key: string,
    entry: AppEntry,
  ) {
    super();
    this.id = `app:${key}`;
    this.last = entry;
  }
  /** The application as the store lists it now (its last known entry once it left every source). */
  get entry(): AppEntry {
    const e = this.store?.entry(this.key);
    if (e) this.last = e;
    return this.last;
  }
  item(ctx: NodeContext): vscode.TreeItem {
    this.store = ctx.store;
    const entry = this.entry;
    const { app, via } = entry;
    const t = treeItem(app.name || app.id, true);
    t.id = this.id;
    const running = app.state === 'running';
    // A running application's time on its driver's clock (ours may be minutes off).
    const ran = running ? runningFor(app.startTime, ctx.now(), entry.clockOffsetMs) : { ms: app.durationMs };
    const detail = ctx.store.detail(this.key);
    const cores = app.cores ?? (detail?.detail.executors ? executorTotals(detail.detail.executors).cores : undefined);
    // The History Server's "running" is an event log still in progress, maybe of a dead driver.
    const bits = [running ? (isLiveApplication(entry) ? 'RUNNING' : 'IN PROGRESS') : 'COMPLETED', formatDuration(ran.ms)];
    if (cores) bits.push(`${cores} cores`);
    const version = app.sparkVersion ?? detail?.detail.environment?.sparkVersion;
    if (version) bits.push(version);
    if (via === 'history') bits.push('(history)');
    if (via === 'prometheus') bits.push('(Prometheus only)');
    if (via === 'master') bits.push('(Master only)');
    if (detail?.stale || entry.stale) bits.push('⚠ stale');
    const alerts = ctx.store.alertsFor(this.key).length;
    if (alerts) bits.push(`🔔 ${alerts} alert${alerts === 1 ? '' : 's'}`);
    t.description = bits.join(' · ');
    t.tooltip = new SafeMarkdown()
      .heading(app.name)
      .field('Application id', app.id)
      .field('Attempt', app.attemptId)
      .field('State', app.state)
      .field('User', app.sparkUser)
      .field('Started', app.startTime ? new Date(app.startTime).toISOString() : undefined)
      .field('Clock', clockNote(entry.clockOffsetMs, ran.aheadMs))
      .field('Spark', version)
      .field('Served by', `${ctx.store.source(entry.sourceId)?.config.name ?? entry.sourceId} (${via})`).md;
    // Live: a filled dot. An event log still in progress with no live driver (maybe one that
    // was killed): a clock, so it does not look alive. Finished: an outline.
    t.iconPath = !running
      ? new vscode.ThemeIcon('circle-outline')
      : isLiveApplication(entry)
        ? new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor('testing.iconPassed'))
        : new vscode.ThemeIcon('history', new vscode.ThemeColor('disabledForeground'));
    t.contextValue = `application.${app.state}.${via}`;
    return t;
  }
  override children(ctx: NodeContext): Node[] {
    this.store = ctx.store;
    const { via } = this.entry;
    // Firing Prometheus alerts about this application come first (F8).
    const out: Node[] = alertNodes(this.id, ctx.store.alertsFor(this.key));
    if (via === 'prometheus') out.push(new MessageNode(`${this.id}/prom`, 'Known from Prometheus only: no Spark REST source reaches its driver', 'info'));
    else if (via === 'master') out.push(new MessageNode(`${this.id}/master`, 'Known from the Master only: its driver UI is not reachable', 'info'));
    else {
      const d = ctx.store.detail(this.key);
      if (!d) out.push(new MessageNode(`${this.id}/loading`, 'Loading…', 'loading~spin'));
      else {
        if (d.error) {
          const age = d.fetchedAt ? `showing data from ${formatAge(ctx.now() - d.fetchedAt)}` : 'no data yet';
          out.push(new MessageNode(`${this.id}/stale`, `${d.error.message} · ${age}`, 'warning', undefined, 'list.warningForeground'));
        }
        out.push(...appChildren(this, ctx));
      }
    }
    for (const n of out) n.parent = this;
    return out;
  }
}

/** One node per firing alert: its name (and executor), summary and severity; labels in the tooltip. */
function alertNodes(parentId: string, alerts: readonly SparkAlert[]): Node[] {
  return alerts.map((a, i) => {
    const tip = [a.summary, a.severity ? `severity: ${a.severity}` : '', a.activeAt ? `firing since ${a.activeAt}` : '', a.value ? `value: ${a.value}` : '',
      ...Object.entries(a.labels).map(([k, v]) => `${k}="${v}"`)].filter(Boolean).join('\n');
    const label = a.executorId ? `${a.name} (executor ${a.executorId})` : a.name;
    const description = [a.severity, a.summary !== a.name ? a.summary : ''].filter(Boolean).join(' · ');
    return new MessageNode(`${parentId}/alert/${i}/${a.name}/${a.executorId ?? ''}`, label, 'bell-dot', tip, 'list.warningForeground', description);
  });
}
