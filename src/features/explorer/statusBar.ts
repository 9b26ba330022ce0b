/**
 * One status-bar item: the live summary, or one warning state naming the failing source.
 * Never a pop-up: errors are in the log and here.
 */
import * as vscode from 'vscode';
import type { Store } from '../../store/store';
import { cachedBytes, executorTotals } from '../../model/appSummary';
import { formatAge, formatBytes } from '../../model/format';
import { isLiveApplication, isSourceProblem } from '../../model/liveness';
import { BuiltinCommand } from '../../commands';
import { ChangeKeys } from '../../store/changes';
import { SafeMarkdown } from '../../ui/markdown';
import { noIcons } from '../../ui/labels';

export interface StatusSummary {
  readonly text: string;
  readonly warning: boolean;
  readonly tooltip: string[];
}

/** What the item says, from the store's current data. Exported for tests. */
export function summarise(store: Store, now: number): StatusSummary {
  const running = store.applications().filter(isLiveApplication);
  const inProgress = store.applications().filter((e) => e.app.state === 'running' && !isLiveApplication(e)).length;
  let executors = 0;
  let cached = 0;
  let storageMb = 0;
  // Exact counts where the store read the lists (small applications); a large cluster's lists
  // are read only when opened, so its share is the driver's own storage total, in whole MB.
  let exact = true;
  for (const e of running) {
    const state = store.detail(e.key);
    const d = state?.detail;
    storageMb += state?.summary?.storageMemoryUsedMb ?? 0;
    if (!d?.executors || !d.cachedDatasets) {
      exact = false;
      continue;
    }
    executors += Math.max(0, executorTotals(d.executors).active - (d.executors.length > 1 ? 1 : 0));
    const b = cachedBytes(d.cachedDatasets);
    cached += b.memory + b.disk;
  }
  const failing = store.allSources().filter(isSourceProblem);
  const lines = store.allSources().map((s) => `${s.config.name}: ${s.status === 'error' ? `${s.error?.message} (${formatAge(now - (s.error?.at ?? now))})` : s.status}`);
  if (inProgress) lines.push(`${inProgress} more in progress in the History Server (no live driver answers for them)`);
  // Firing Prometheus alerts about Spark (F8): a count after the text, one line each in the tooltip.
  const alerts = store.sparkAlerts();
  const bell = alerts.length ? ` · $(bell-dot) ${alerts.length} alert${alerts.length === 1 ? '' : 's'}` : '';
  const alertLines = alerts.map((a) => `Alert ${a.name}${a.appName || a.appId ? ` (${a.appName ?? a.appId}${a.executorId ? `, executor ${a.executorId}` : ''})` : ''}: ${a.summary}`);
  if (failing.length > 0) {
    const f = failing[0];
    const more = failing.length > 1 ? ` (+${failing.length - 1})` : '';
    return { text: `$(warning) Spark: ${noIcons(f.config.name)} unreachable${more} (${formatAge(now - (f.lastOkAt ?? f.error?.at ?? now))})${bell}`, warning: true, tooltip: [...lines, ...alertLines] };
  }
  if (running.length === 0) return { text: `$(zap) Spark${bell}`, warning: false, tooltip: lines.length ? ['No running application', ...lines, ...alertLines] : ['No Spark source found'] };
  if (!exact) {
    return {
      text: `$(zap) Spark ${running.length} running · ≈ ${formatBytes(storageMb * 1048576)} storage memory${bell}`,
      warning: false,
      tooltip: ['Storage memory in use, as the drivers count it (whole MB). Expand an application for its executors and cached datasets.', ...lines, ...alertLines],
    };
  }
  return {
    text: `$(zap) Spark ${running.length} running · ${executors} executor${executors === 1 ? '' : 's'} · ${formatBytes(cached)} cached${bell}`,
    warning: false,
    tooltip: [...lines, ...alertLines],
  };
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('sparkObservatory.status', vscode.StatusBarAlignment.Left, 10);
  private readonly sub: { dispose(): void };
  /** Light watches of the live applications: their counts, while they are small. */
  private readonly watches = new Map<string, { dispose(): void }>();

  constructor(private readonly store: Store) {
    this.item.name = 'Spark Observatory';
    this.item.command = BuiltinCommand.FocusView;
    this.sub = store.onDidChange((keys) => {
      if (keys.has(ChangeKeys.apps) || keys.has(ChangeKeys.sources)) this.syncWatches();
      this.render();
    });
    this.render();
    this.item.show();
  }

  private syncWatches(): void {
    const live = new Set(this.store.applications().filter(isLiveApplication).map((e) => e.key));
    for (const [k, w] of this.watches) {
      if (live.has(k)) continue;
      w.dispose();
      this.watches.delete(k);
    }
    for (const k of live) if (!this.watches.has(k)) this.watches.set(k, this.store.watch(k, { parts: ['executors', 'storage'], light: true }));
  }

  render(): void {
    const s = summarise(this.store, Date.now());
    this.item.text = s.text;
    this.item.backgroundColor = s.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const tip = new SafeMarkdown();
    for (const line of s.tooltip) tip.text(line).text('\n\n');
    this.item.tooltip = tip.md;
  }

  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.sub.dispose();
    for (const w of this.watches.values()) w.dispose();
    this.item.dispose();
  }
}
