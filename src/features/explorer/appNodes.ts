/**
 * An application's children in the Applications tree: executors (dead ones apart), jobs,
 * active stages, cached datasets and key configuration. The list nodes are kept by id and read
 * the store when drawn; expanding one is what makes the store read its list (appsTree.ts).
 */
import * as vscode from 'vscode';
import type { AppEntry, DetailState } from '../../store/store';
import type { CachedDataset, Executor, Job, Stage } from '../../model/types';
import { cachedBytes, CappedList, capList, executorListing, executorTotals, gcShare, jobsToShow, keyConfiguration, shortDatasetName, storageLevelName } from '../../model/appSummary';
import { formatBytes, formatCount, formatDuration, formatPercent } from '../../model/format';
import { summariseJobsByLine } from '../../model/callSite';
import { runningFor } from '../../model/driverClock';
import type { Part } from '../../model/summary';
import { SafeMarkdown } from '../../ui/markdown';
import { HasApp, MessageNode, Node, NodeContext, treeItem, UiPage } from './node';

const MIB = 1024 * 1024;

/** A capped list's nodes (model/appSummary.ts capList), with a "… N more" row for the rest. */
function listed<T>({ shown, more }: CappedList<T>, parentId: string, node: (item: T) => Node): Node[] {
  const out = shown.map(node);
  if (more) out.push(new MessageNode(`${parentId}/more`, more, 'ellipsis'));
  return out;
}

/** What an application node is to its children: its key and its entry now. */
export interface AppRef {
  readonly key: string;
  readonly entry: AppEntry;
}

/** A list node under an application; `part` is the list its expansion makes the store read. */
export abstract class AppChild extends Node implements HasApp {
  abstract readonly uiPage: UiPage;
  readonly part?: Part;
  constructor(
    readonly app: AppRef,
    readonly suffix: string,
  ) {
    super();
  }
  get id(): string {
    return `app:${this.app.key}/${this.suffix}`;
  }
  get entry(): AppEntry {
    return this.app.entry;
  }
  protected state(ctx: NodeContext): DetailState {
    return ctx.store.detail(this.app.key) ?? { detail: {}, stale: false };
  }
  protected base(label: string, collapsible: boolean, context: string): vscode.TreeItem {
    const t = treeItem(label, collapsible);
    t.id = this.id;
    t.contextValue = context;
    return t;
  }
}

/** The children of an application whose details the store has. */
export function appChildren(app: AppRef & Node, ctx: NodeContext): Node[] {
  const k = (suffix: string, make: () => Node) => ctx.keep(`app:${app.key}/${suffix}`, make);
  return [
    k('executors', () => new ExecutorsNode(app)),
    k('jobs', () => new JobsNode(app)),
    k('stages', () => new StagesNode(app)),
    k('cached', () => new CachedDatasetsNode(app)),
    k('config', () => new ConfigurationNode(app)),
  ];
}

export class ExecutorsNode extends AppChild {
  readonly uiPage: UiPage = { page: 'executors' };
  override readonly part: Part = 'executors';
  constructor(app: AppRef) {
    super(app, 'executors');
  }
  item(ctx: NodeContext): vscode.TreeItem {
    const { detail, summary } = this.state(ctx);
    const t = this.base('Executors', true, 'executors');
    if (detail.executors) {
      const tot = executorTotals(detail.executors);
      t.description = `${tot.active} · ${formatBytes(tot.memoryUsed)} of ${formatBytes(tot.maxMemory)} storage${tot.dead ? ` · ${tot.dead} dead` : ''}`;
    } else if (summary?.storageMemoryUsedMb !== undefined && summary.storageMemoryMaxMb !== undefined) {
      // The driver's own totals, in whole megabytes: the list is read when it is expanded.
      t.description = `≈ ${formatBytes(summary.storageMemoryUsedMb * MIB)} of ${formatBytes(summary.storageMemoryMaxMb * MIB)} storage`;
      t.tooltip = 'Storage memory of all executors as the driver counts it (whole MB). Expand to read the executors.';
    }
    t.iconPath = new vscode.ThemeIcon('server-process');
    return t;
  }
  override children(ctx: NodeContext): Node[] {
    const executors = this.state(ctx).detail.executors;
    if (!executors) return [new MessageNode(`${this.id}/loading`, 'Loading…', 'loading~spin')];
    const { alive, dead } = executorListing(executors);
    const out = listed(alive, this.id, (e) => new ExecutorNode(this.app, e));
    if (dead.length) out.push(new DeadExecutorsNode(this.app, dead));
    for (const n of out) n.parent = this;
    return out;
  }
}

class DeadExecutorsNode extends AppChild {
  readonly uiPage: UiPage = { page: 'executors' };
  constructor(
    app: AppRef,
    private readonly dead: readonly Executor[],
  ) {
    super(app, 'executors/dead');
  }
  item(): vscode.TreeItem {
    const t = this.base(`Dead (${this.dead.length})`, true, 'deadExecutors');
    const reasons = [...new Set(this.dead.map((e) => e.removeReason).filter((r): r is string => !!r))];
    t.description = reasons.length === 1 ? `"${reasons[0]}"` : reasons.length > 1 ? `${reasons.length} reasons` : undefined;
    t.iconPath = new vscode.ThemeIcon('debug-disconnect');
    return t;
  }
  override children(): Node[] {
    return listed(capList(this.dead), this.id, (e) => new ExecutorNode(this.app, e));
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
    app: AppRef,
    readonly executor: Executor,
  ) {
    super(app, `executor/${executor.id}`);
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
  constructor(app: AppRef) {
    super(app, 'jobs');
  }
  item(ctx: NodeContext): vscode.TreeItem {
    const jobs = this.state(ctx).detail.jobs ?? [];
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
    const shown = jobsToShow(this.state(ctx).detail.jobs);
    if (shown.length === 0) return [new MessageNode(`${this.id}/none`, 'No job yet', 'info')];
    return shown.map((j) => new JobNode(this.app, j, ctx.now()));
  }
}

class JobNode extends AppChild {
  readonly uiPage: UiPage;
  constructor(
    app: AppRef,
    readonly job: Job,
    private readonly at: number,
  ) {
    super(app, `job/${job.jobId}`);
    this.uiPage = { page: 'job', id: job.jobId };
  }
  item(): vscode.TreeItem {
    const j = this.job;
    const t = this.base(`${j.jobId} · ${j.description ?? j.name}`, false, `job.${j.status.toLowerCase()}`);
    // A running job's time on the driver's clock, like its submission time.
    const ran = j.completionTime !== undefined && j.submissionTime !== undefined ? j.completionTime - j.submissionTime : j.status === 'RUNNING' ? runningFor(j.submissionTime, this.at, this.entry.clockOffsetMs).ms : undefined;
    const stagesDone = j.numCompletedStages + j.numSkippedStages;
    const stagesAll = stagesDone + j.numActiveStages + j.numFailedStages + Math.max(0, j.stageIds.length - stagesDone - j.numActiveStages - j.numFailedStages);
    t.description = [
      j.status,
      formatDuration(ran),
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
  constructor(app: AppRef) {
    super(app, 'stages');
  }
  item(ctx: NodeContext): vscode.TreeItem {
    const d = this.state(ctx).detail;
    const stages = d.activeStages ?? [];
    const spill = stages.reduce((s, x) => s + x.diskBytesSpilled, 0);
    // Stages whose call site names no line of the user's: counted here, never guessed onto a line.
    const unplaced = summariseJobsByLine([], d.stages ?? []).unplacedStages;
    const t = this.base('Stages', true, 'stages');
    t.description = `${stages.length} active${spill > 0 ? ` · spill ${formatBytes(spill)} ⚠` : ''}${unplaced ? ` · ${unplaced} unplaced` : ''}`;
    t.iconPath = new vscode.ThemeIcon('layers');
    return t;
  }
  override children(ctx: NodeContext): Node[] {
    const stages = this.state(ctx).detail.activeStages ?? [];
    if (stages.length === 0) return [new MessageNode(`${this.id}/none`, 'No active stage', 'info')];
    return stages.map((s) => new StageNode(this.app, s));
  }
}

class StageNode extends AppChild {
  readonly uiPage: UiPage;
  constructor(
    app: AppRef,
    readonly stage: Stage,
  ) {
    super(app, `stage/${stage.stageId}.${stage.attemptId}`);
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

export class CachedDatasetsNode extends AppChild {
  readonly uiPage: UiPage = { page: 'app' };
  override readonly part: Part = 'storage';
  constructor(app: AppRef) {
    super(app, 'cached');
  }
  item(ctx: NodeContext): vscode.TreeItem {
    const list = this.state(ctx).detail.cachedDatasets;
    const t = this.base('Cached datasets', true, 'cachedDatasets');
    if (list) {
      const b = cachedBytes(list);
      t.description = `${list.length} · ${formatBytes(b.memory)}${b.disk ? ` + ${formatBytes(b.disk)} on disk` : ''}`;
    }
    t.iconPath = new vscode.ThemeIcon('database');
    return t;
  }
  override children(ctx: NodeContext): Node[] {
    const list = this.state(ctx).detail.cachedDatasets;
    if (!list) return [new MessageNode(`${this.id}/loading`, 'Loading…', 'loading~spin')];
    if (list.length === 0) return [new MessageNode(`${this.id}/none`, 'Nothing cached (or not materialised yet)', 'info')];
    const out = listed(capList(list), this.id, (d) => new CachedDatasetNode(this.app, d));
    for (const n of out) n.parent = this;
    return out;
  }
}

export class CachedDatasetNode extends AppChild {
  readonly uiPage: UiPage;
  constructor(
    app: AppRef,
    readonly dataset: CachedDataset,
  ) {
    super(app, `cached/${dataset.rddId}`);
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
  constructor(app: AppRef) {
    super(app, 'config');
  }
  item(): vscode.TreeItem {
    const t = this.base('Configuration', true, 'configuration');
    t.iconPath = new vscode.ThemeIcon('settings-gear');
    return t;
  }
  override children(ctx: NodeContext): Node[] {
    const detail = this.state(ctx).detail;
    if (!detail.environment) return [new MessageNode(`${this.id}/none`, 'Not read yet', 'info')];
    return keyConfiguration(detail, this.entry.app.sparkVersion).map(
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
