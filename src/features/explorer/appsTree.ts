/**
 * The Applications tree: groups (a host or a configured group) → applications → executors,
 * jobs, stages, cached datasets, configuration. Nodes are small classes that render themselves
 * and list their children; the provider only delegates and tells VS Code to refresh.
 * Expanding an application is what makes the store poll its details.
 */
import * as vscode from 'vscode';
import type { AppEntry, DetailState, GroupState, SourceState, Store } from '../../store/store';
import type { CachedDataset, Executor, Job, Stage } from '../../model/types';
import {
  cachedBytes,
  executorTotals,
  gcShare,
  jobsToShow,
  keyConfiguration,
  shortDatasetName,
  sortExecutors,
  storageLevelName,
} from '../../model/appSummary';
import { formatAge, formatBytes, formatCount, formatDuration, formatPercent } from '../../model/format';
import { SafeMarkdown } from '../../ui/markdown';
import { isLiveApplication, isSourceProblem } from '../../model/liveness';
import { summariseJobsByLine } from '../../model/callSite';
import type { UiTarget } from '../../model/uiLinks';
import type { SparkAlert } from '../../model/alerts';

/** Spark UI pages a node can open; the command maps them to URLs of the serving source. */
export type UiPage = UiTarget;

export interface NodeContext {
  readonly store: Store;
  readonly now: () => number;
}

export abstract class Node {
  abstract readonly id: string;
  abstract item(ctx: NodeContext): vscode.TreeItem;
  children(_ctx: NodeContext): Node[] {
    return [];
  }
}

/** An application node's entry, for commands run on it and on its descendants. */
export interface HasApp {
  readonly entry: AppEntry;
  readonly uiPage: UiPage;
}

export function hasApp(n: unknown): n is Node & HasApp {
  return n instanceof Node && 'entry' in n && 'uiPage' in n;
}

const MAX_CHILDREN = 500;

function capped(nodes: Node[], parentId: string): Node[] {
  if (nodes.length <= MAX_CHILDREN) return nodes;
  return [...nodes.slice(0, MAX_CHILDREN), new MessageNode(`${parentId}/more`, `… ${formatCount(nodes.length - MAX_CHILDREN)} more`, 'ellipsis')];
}

function item(label: string, collapsible: boolean, expanded = false): vscode.TreeItem {
  return new vscode.TreeItem(
    label,
    collapsible ? (expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed) : vscode.TreeItemCollapsibleState.None,
  );
}

export class MessageNode extends Node {
  constructor(
    readonly id: string,
    private readonly label: string,
    private readonly icon: string,
    private readonly tooltip?: string,
    private readonly color?: string,
    private readonly description?: string,
  ) {
    super();
  }
  item(): vscode.TreeItem {
    const t = item(this.label, false);
    t.id = this.id;
    t.description = this.description;
    t.iconPath = new vscode.ThemeIcon(this.icon, this.color ? new vscode.ThemeColor(this.color) : undefined);
    if (this.tooltip) t.tooltip = new SafeMarkdown().text(this.tooltip).md;
    t.contextValue = 'message';
    return t;
  }
}

function sourceLabel(s: SourceState): string {
  return `${s.config.name} (${s.kind ?? 'unknown kind'})`;
}

export class GroupNode extends Node {
  readonly id: string;
  constructor(readonly group: GroupState) {
    super();
    this.id = `group:${group.name}`;
  }
  item(ctx: NodeContext): vscode.TreeItem {
    const g = this.group;
    const t = item(g.name, true, true);
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
  override children(): Node[] {
    const out: Node[] = [];
    for (const s of this.group.sources.filter(isSourceProblem)) {
      out.push(new SourceProblemNode(s));
    }
    if (this.group.master) out.push(new WorkersNode(this.id, this.group));
    for (const e of this.group.apps) out.push(new AppNode(e));
    if (out.length === 0) out.push(new MessageNode(`${this.id}/empty`, 'No application', 'info'));
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
    const t = item(`${s.config.name} unreachable`, false);
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
    const t = item('Workers', true);
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
  constructor(readonly entry: AppEntry) {
    super();
    this.id = `app:${entry.key}`;
  }
  item(ctx: NodeContext): vscode.TreeItem {
    const { app, via } = this.entry;
    const t = item(app.name || app.id, true);
    t.id = this.id;
    const running = app.state === 'running';
    const duration = running ? (app.startTime ? ctx.now() - app.startTime : undefined) : app.durationMs;
    const detail = ctx.store.detail(this.entry.key);
    const cores = app.cores ?? (detail?.detail.executors ? executorTotals(detail.detail.executors).cores : undefined);
    // The History Server's "running" is an event log still in progress, maybe of a dead driver.
    const bits = [running ? (isLiveApplication(this.entry) ? 'RUNNING' : 'IN PROGRESS') : 'COMPLETED', formatDuration(duration)];
    if (cores) bits.push(`${cores} cores`);
    const version = app.sparkVersion ?? detail?.detail.environment?.sparkVersion;
    if (version) bits.push(version);
    if (via === 'history') bits.push('(history)');
    if (via === 'prometheus') bits.push('(Prometheus only)');
    if (via === 'master') bits.push('(Master only)');
    if (detail?.stale || this.entry.stale) bits.push('⚠ stale');
    const alerts = ctx.store.alertsFor(this.entry.key).length;
    if (alerts) bits.push(`🔔 ${alerts} alert${alerts === 1 ? '' : 's'}`);
    t.description = bits.join(' · ');
    t.tooltip = new SafeMarkdown()
      .heading(app.name)
      .field('Application id', app.id)
      .field('Attempt', app.attemptId)
      .field('State', app.state)
      .field('User', app.sparkUser)
      .field('Started', app.startTime ? new Date(app.startTime).toISOString() : undefined)
      .field('Spark', version)
      .field('Served by', `${ctx.store.source(this.entry.sourceId)?.config.name ?? this.entry.sourceId} (${via})`).md;
    // Live: a filled dot. An event log still in progress with no live driver (maybe one that
    // was killed): a clock, so it does not look alive. Finished: an outline.
    t.iconPath = !running
      ? new vscode.ThemeIcon('circle-outline')
      : isLiveApplication(this.entry)
        ? new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor('testing.iconPassed'))
        : new vscode.ThemeIcon('history', new vscode.ThemeColor('disabledForeground'));
    t.contextValue = `application.${app.state}.${via}`;
    return t;
  }
  override children(ctx: NodeContext): Node[] {
    const { via } = this.entry;
    // Firing Prometheus alerts about this application come first (F8).
    const alerts = alertNodes(this.id, ctx.store.alertsFor(this.entry.key));
    if (via === 'prometheus') return [...alerts, new MessageNode(`${this.id}/prom`, 'Known from Prometheus only: no Spark REST source reaches its driver', 'info')];
    if (via === 'master') return [...alerts, new MessageNode(`${this.id}/master`, 'Known from the Master only: its driver UI is not reachable', 'info')];
    const d = ctx.store.detail(this.entry.key);
    if (!d) return [...alerts, new MessageNode(`${this.id}/loading`, 'Loading…', 'loading~spin')];
    const out: Node[] = [...alerts];
    if (d.error) {
      const age = d.fetchedAt ? `showing data from ${formatAge(ctx.now() - d.fetchedAt)}` : 'no data yet';
      out.push(new MessageNode(`${this.id}/stale`, `${d.error.message} · ${age}`, 'warning', undefined, 'list.warningForeground'));
    }
    if (!d.detail.executors) return out;
    out.push(
      new ExecutorsNode(this.entry, d),
      new JobsNode(this.entry, d),
      new StagesNode(this.entry, d),
      new CachedDatasetsNode(this.entry, d),
      new ConfigurationNode(this.entry, d),
    );
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

abstract class AppChild extends Node implements HasApp {
  abstract readonly uiPage: UiPage;
  constructor(
    readonly entry: AppEntry,
    readonly state: DetailState,
    readonly suffix: string,
  ) {
    super();
  }
  get id(): string {
    return `app:${this.entry.key}/${this.suffix}`;
  }
  protected base(label: string, collapsible: boolean, context: string): vscode.TreeItem {
    const t = item(label, collapsible);
    t.id = this.id;
    t.contextValue = context;
    return t;
  }
}

class ExecutorsNode extends AppChild {
  readonly uiPage: UiPage = { page: 'executors' };
  constructor(entry: AppEntry, state: DetailState) {
    super(entry, state, 'executors');
  }
  item(): vscode.TreeItem {
    const tot = executorTotals(this.state.detail.executors);
    const t = this.base('Executors', true, 'executors');
    t.description = `${tot.active} · ${formatBytes(tot.memoryUsed)} of ${formatBytes(tot.maxMemory)} storage${tot.dead ? ` · ${tot.dead} dead` : ''}`;
    t.iconPath = new vscode.ThemeIcon('server-process');
    return t;
  }
  override children(): Node[] {
    const all = sortExecutors(this.state.detail.executors ?? []);
    const alive = all.filter((e) => e.isActive).map((e) => new ExecutorNode(this.entry, this.state, e));
    const dead = all.filter((e) => !e.isActive);
    const out: Node[] = capped(alive, this.id);
    if (dead.length) out.push(new DeadExecutorsNode(this.entry, this.state, dead));
    return out;
  }
}

class DeadExecutorsNode extends AppChild {
  readonly uiPage: UiPage = { page: 'executors' };
  constructor(
    entry: AppEntry,
    state: DetailState,
    private readonly dead: Executor[],
  ) {
    super(entry, state, 'executors/dead');
  }
  item(): vscode.TreeItem {
    const t = this.base(`Dead (${this.dead.length})`, true, 'deadExecutors');
    const reasons = [...new Set(this.dead.map((e) => e.removeReason).filter((r): r is string => !!r))];
    t.description = reasons.length === 1 ? `"${reasons[0]}"` : reasons.length > 1 ? `${reasons.length} reasons` : undefined;
    t.iconPath = new vscode.ThemeIcon('debug-disconnect');
    return t;
  }
  override children(): Node[] {
    return capped(this.dead.map((e) => new ExecutorNode(this.entry, this.state, e)), this.id);
  }
}

export function executorDescription(e: Executor): string {
  const host = e.hostPort.replace(/:\d+$/, '');
  const bits = [host, `${e.totalCores} core${e.totalCores === 1 ? '' : 's'}`, `${e.activeTasks} active · ${e.failedTasks} failed · ${formatCount(e.completedTasks)} done`];
  bits.push(`${formatBytes(e.memoryUsed)} / ${formatBytes(e.maxMemory)} (${formatPercent(e.memoryUsed, e.maxMemory)})`);
  if (e.peak.jvmHeap !== undefined) bits.push(`heap ${formatBytes(e.peak.jvmHeap)}`);
  const gc = gcShare(e);
  if (gc !== undefined) bits.push(`GC ${formatPercent(e.totalGCTimeMs, e.totalDurationMs)}${gc > 0.1 ? ' ⚠' : ''}`);
  if (e.diskUsed > 0) bits.push(`disk ${formatBytes(e.diskUsed)}`);
  if (!e.isActive && e.removeReason) bits.push(`"${e.removeReason}"`);
  return bits.join(' · ');
}

class ExecutorNode extends AppChild {
  readonly uiPage: UiPage = { page: 'executors' };
  constructor(
    entry: AppEntry,
    state: DetailState,
    readonly executor: Executor,
  ) {
    super(entry, state, `executor/${executor.id}`);
  }
  item(): vscode.TreeItem {
    const e = this.executor;
    const t = this.base(e.id, false, e.isActive ? 'executor' : 'executor.dead');
    t.description = executorDescription(e);
    t.tooltip = new SafeMarkdown()
      .heading(e.id === 'driver' ? 'Driver' : `Executor ${e.id}`)
      .field('Address', e.hostPort)
      .field('Cores', String(e.totalCores))
      .field('Tasks', `${e.activeTasks} active, ${e.failedTasks} failed, ${formatCount(e.completedTasks)} completed`)
      .field('Storage memory', `${formatBytes(e.memoryUsed)} of ${formatBytes(e.maxMemory)}`)
      .field('Disk used', formatBytes(e.diskUsed))
      .field('Peak JVM heap', e.peak.jvmHeap !== undefined ? formatBytes(e.peak.jvmHeap) : undefined)
      .field('Peak execution memory (on heap)', e.peak.onHeapExecution !== undefined ? formatBytes(e.peak.onHeapExecution) : undefined)
      .field('Peak Python RSS', e.peak.pythonRss ? formatBytes(e.peak.pythonRss) : undefined)
      .field('GC time', `${formatDuration(e.totalGCTimeMs)} of ${formatDuration(e.totalDurationMs)} task time`)
      .field('Shuffle', `read ${formatBytes(e.totalShuffleRead)}, write ${formatBytes(e.totalShuffleWrite)}`)
      .field('Removed', e.removeTime ? new Date(e.removeTime).toISOString() : undefined)
      .field('Removal reason', e.removeReason).md;
    const gc = gcShare(e) ?? 0;
    const full = e.maxMemory > 0 && e.memoryUsed / e.maxMemory > 0.9;
    t.iconPath = !e.isActive
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'))
      : gc > 0.1 || full
        ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
        : new vscode.ThemeIcon(e.id === 'driver' ? 'home' : 'vm');
    return t;
  }
}

class JobsNode extends AppChild {
  readonly uiPage: UiPage = { page: 'app' };
  constructor(entry: AppEntry, state: DetailState) {
    super(entry, state, 'jobs');
  }
  item(): vscode.TreeItem {
    const jobs = this.state.detail.jobs ?? [];
    const running = jobs.filter((j) => j.status === 'RUNNING').length;
    const failed = jobs.filter((j) => j.status === 'FAILED').length;
    const t = this.base('Jobs', true, 'jobs');
    // Jobs whose call site names no line of the user's (a JVM frame): no inline hint shows them.
    const unplaced = summariseJobsByLine(jobs, []).unplacedJobs;
    t.description = `${running} running · ${jobs.length - running - failed} done${failed ? ` · ${failed} failed ⚠` : ''}${unplaced ? ` · ${unplaced} unplaced` : ''}`;
    t.iconPath = new vscode.ThemeIcon('list-ordered');
    return t;
  }
  override children(ctx: NodeContext): Node[] {
    const shown = jobsToShow(this.state.detail.jobs);
    if (shown.length === 0) return [new MessageNode(`${this.id}/none`, 'No job yet', 'info')];
    return shown.map((j) => new JobNode(this.entry, this.state, j, ctx.now()));
  }
}

class JobNode extends AppChild {
  readonly uiPage: UiPage;
  constructor(
    entry: AppEntry,
    state: DetailState,
    readonly job: Job,
    private readonly at: number,
  ) {
    super(entry, state, `job/${job.jobId}`);
    this.uiPage = { page: 'job', id: job.jobId };
  }
  item(): vscode.TreeItem {
    const j = this.job;
    const t = this.base(`${j.jobId} · ${j.description ?? j.name}`, false, `job.${j.status.toLowerCase()}`);
    const end = j.completionTime ?? (j.status === 'RUNNING' ? this.at : undefined);
    const stagesDone = j.numCompletedStages + j.numSkippedStages;
    const stagesAll = stagesDone + j.numActiveStages + j.numFailedStages + Math.max(0, j.stageIds.length - stagesDone - j.numActiveStages - j.numFailedStages);
    t.description = [
      j.status,
      formatDuration(end !== undefined && j.submissionTime !== undefined ? end - j.submissionTime : undefined),
      `stages ${stagesDone}/${stagesAll}`,
      `tasks ${formatCount(j.numCompletedTasks + j.numSkippedTasks)}/${formatCount(j.numTasks)}`,
      j.numFailedTasks ? `${j.numFailedTasks} failed ⚠` : '',
    ].filter(Boolean).join(' · ');
    t.tooltip = new SafeMarkdown().heading(`Job ${j.jobId}`).field('Call site', j.name).field('Description', j.description).field('Group', j.jobGroup).field('Stages', j.stageIds.join(', ')).md;
    t.iconPath =
      j.status === 'RUNNING' ? new vscode.ThemeIcon('sync~spin') : j.status === 'FAILED' ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')) : new vscode.ThemeIcon('check');
    return t;
  }
}

class StagesNode extends AppChild {
  readonly uiPage: UiPage = { page: 'app' };
  constructor(entry: AppEntry, state: DetailState) {
    super(entry, state, 'stages');
  }
  item(): vscode.TreeItem {
    const stages = this.state.detail.activeStages ?? [];
    const spill = stages.reduce((s, x) => s + x.diskBytesSpilled, 0);
    // Stages whose call site names no line of the user's: counted here, never guessed onto a line.
    const unplaced = summariseJobsByLine([], this.state.detail.stages ?? []).unplacedStages;
    const t = this.base('Stages', true, 'stages');
    t.description = `${stages.length} active${spill > 0 ? ` · spill ${formatBytes(spill)} ⚠` : ''}${unplaced ? ` · ${unplaced} unplaced` : ''}`;
    t.iconPath = new vscode.ThemeIcon('layers');
    return t;
  }
  override children(): Node[] {
    const stages = this.state.detail.activeStages ?? [];
    if (stages.length === 0) return [new MessageNode(`${this.id}/none`, 'No active stage', 'info')];
    return stages.map((s) => new StageNode(this.entry, this.state, s));
  }
}

class StageNode extends AppChild {
  readonly uiPage: UiPage;
  constructor(
    entry: AppEntry,
    state: DetailState,
    readonly stage: Stage,
  ) {
    super(entry, state, `stage/${stage.stageId}.${stage.attemptId}`);
    this.uiPage = { page: 'stage', id: stage.stageId, attempt: stage.attemptId };
  }
  item(): vscode.TreeItem {
    const s = this.stage;
    const spilled = s.diskBytesSpilled > 0 || s.memoryBytesSpilled > 0;
    const t = this.base(`${s.stageId}.${s.attemptId} · ${s.name}`, false, 'stage');
    t.description = [
      `tasks ${formatCount(s.numCompleteTasks)}/${formatCount(s.numTasks)}${s.numActiveTasks ? ` (${s.numActiveTasks} running)` : ''}`,
      `shuffle r ${formatBytes(s.shuffleReadBytes)} w ${formatBytes(s.shuffleWriteBytes)}`,
      spilled ? `spill ${formatBytes(s.diskBytesSpilled)} disk / ${formatBytes(s.memoryBytesSpilled)} mem ⚠` : '',
      s.numFailedTasks ? `${s.numFailedTasks} failed ⚠` : '',
    ].filter(Boolean).join(' · ');
    const tip = new SafeMarkdown().heading(`Stage ${s.stageId} (attempt ${s.attemptId})`).field('Call site', s.name).field('Description', s.description);
    if (s.details) tip.code(s.details, 2000);
    t.tooltip = tip.md;
    t.iconPath = spilled ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : new vscode.ThemeIcon('sync~spin');
    return t;
  }
}

class CachedDatasetsNode extends AppChild {
  readonly uiPage: UiPage = { page: 'app' };
  constructor(entry: AppEntry, state: DetailState) {
    super(entry, state, 'cached');
  }
  item(): vscode.TreeItem {
    const list = this.state.detail.cachedDatasets ?? [];
    const b = cachedBytes(list);
    const t = this.base('Cached datasets', true, 'cachedDatasets');
    t.description = `${list.length} · ${formatBytes(b.memory)}${b.disk ? ` + ${formatBytes(b.disk)} on disk` : ''}`;
    t.iconPath = new vscode.ThemeIcon('database');
    return t;
  }
  override children(): Node[] {
    const list = this.state.detail.cachedDatasets ?? [];
    if (list.length === 0) return [new MessageNode(`${this.id}/none`, 'Nothing cached (or not materialised yet)', 'info')];
    return capped(list.map((d) => new CachedDatasetNode(this.entry, this.state, d)), this.id);
  }
}

export class CachedDatasetNode extends AppChild {
  readonly uiPage: UiPage;
  constructor(
    entry: AppEntry,
    state: DetailState,
    readonly dataset: CachedDataset,
  ) {
    super(entry, state, `cached/${dataset.rddId}`);
    this.uiPage = { page: 'storage', rddId: dataset.rddId };
  }
  item(): vscode.TreeItem {
    const d = this.dataset;
    const t = this.base(shortDatasetName(d.name) || `RDD ${d.rddId}`, false, 'cachedDataset');
    t.description = [
      storageLevelName(d.storageLevel),
      formatBytes(d.memoryUsed),
      d.diskUsed > 0 ? `${formatBytes(d.diskUsed)} on disk` : '',
      `${d.numCachedPartitions}/${d.numPartitions}`,
    ].filter(Boolean).join(' · ');
    const tip = new SafeMarkdown()
      .field('RDD id', String(d.rddId))
      .field('Storage level', `${storageLevelName(d.storageLevel)} (${d.storageLevel})`)
      .field('Memory', formatBytes(d.memoryUsed))
      .field('Disk', formatBytes(d.diskUsed))
      .field('Cached partitions', `${d.numCachedPartitions} of ${d.numPartitions}`)
      .rule()
      .code(d.name);
    t.tooltip = tip.md;
    t.iconPath = new vscode.ThemeIcon('database', d.numCachedPartitions < d.numPartitions ? new vscode.ThemeColor('list.warningForeground') : undefined);
    return t;
  }
}

class ConfigurationNode extends AppChild {
  readonly uiPage: UiPage = { page: 'environment' };
  constructor(entry: AppEntry, state: DetailState) {
    super(entry, state, 'config');
  }
  item(): vscode.TreeItem {
    const t = this.base('Configuration', true, 'configuration');
    t.iconPath = new vscode.ThemeIcon('settings-gear');
    return t;
  }
  override children(): Node[] {
    if (!this.state.detail.environment) return [new MessageNode(`${this.id}/none`, 'Not read yet', 'info')];
    return keyConfiguration(this.state.detail, this.entry.app.sparkVersion).map(
      (r) =>
        new MessageNode(
          `${this.id}/${r.key}`,
          r.key,
          r.isDefault ? 'circle-small' : 'circle-small-filled',
          r.isDefault ? 'Spark default (not set)' : 'Set for this application',
          undefined,
          r.isDefault ? `${r.value} (default)` : r.value,
        ),
    );
  }
}

export class AppsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly watches = new Map<string, { dispose(): void }>();
  private readonly ctx: NodeContext;
  private readonly sub: { dispose(): void };

  constructor(
    private readonly store: Store,
    now: () => number = Date.now,
  ) {
    this.ctx = { store, now };
    this.sub = store.onDidChange(() => {
      // Applications that left the store stop being watched.
      for (const [key, w] of this.watches) {
        if (!store.entry(key)) {
          w.dispose();
          this.watches.delete(key);
        }
      }
      this.emitter.fire(undefined);
    });
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node.item(this.ctx);
  }

  /**
   * For TreeView.reveal of a cached dataset (the cache lenses' click): the parents along
   * cached dataset → Cached datasets → application → group. Other nodes are never revealed.
   */
  getParent(node: Node): Node | undefined {
    if (node instanceof CachedDatasetNode) return new CachedDatasetsNode(node.entry, node.state);
    if (node instanceof CachedDatasetsNode) return new AppNode(node.entry);
    if (node instanceof AppNode) {
      const g = this.store.groups().find((x) => x.name === node.entry.group);
      return g ? new GroupNode(g) : undefined;
    }
    return undefined;
  }

  /** The tree node of an application's cached dataset, for reveal; undefined when not polled. */
  cachedDatasetNode(appKey: string, rddId: number): Node | undefined {
    const entry = this.store.entry(appKey);
    const state = this.store.detail(appKey);
    const ds = state?.detail.cachedDatasets?.find((d) => d.rddId === rddId);
    return entry && state && ds ? new CachedDatasetNode(entry, state, ds) : undefined;
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.store.groups().map((g) => new GroupNode(g));
    if (node instanceof AppNode) this.expanded(node);
    return node.children(this.ctx);
  }

  /** An application's children were asked for: it is expanded, so its details are polled. */
  expanded(node: AppNode): void {
    const key = node.entry.key;
    if (!this.watches.has(key)) this.watches.set(key, this.store.watch(key));
  }

  collapsed(node: Node): void {
    if (!(node instanceof AppNode)) return;
    this.watches.get(node.entry.key)?.dispose();
    this.watches.delete(node.entry.key);
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  dispose(): void {
    this.sub.dispose();
    for (const w of this.watches.values()) w.dispose();
    this.watches.clear();
    this.emitter.dispose();
  }
}
