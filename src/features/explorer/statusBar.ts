/**
 * One status-bar item: the live summary, or one warning state naming the failing source.
 * Never a pop-up: errors are in the log and here.
 */
import * as vscode from 'vscode';
import type { Store } from '../../store/store';
import { cachedBytes, executorTotals } from '../../model/appSummary';
import { formatAge, formatBytes } from '../../model/format';
import { isLiveApplication, isSourceProblem } from '../../model/liveness';
import { Command } from '../../commands';
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
  for (const e of running) {
    const d = store.detail(e.key)?.detail;
    if (!d) continue;
    executors += Math.max(0, executorTotals(d.executors).active - ((d.executors?.length ?? 0) > 1 ? 1 : 0));
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
  return {
    text: `$(zap) Spark ${running.length} running · ${executors} executor${executors === 1 ? '' : 's'} · ${formatBytes(cached)} cached${bell}`,
    warning: false,
    tooltip: [...lines, ...alertLines],
  };
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('sparkObservatory.status', vscode.StatusBarAlignment.Left, 10);
  private readonly sub: { dispose(): void };

  constructor(private readonly store: Store) {
    this.item.name = 'Spark Observatory';
    this.item.command = Command.FocusView;
    this.sub = store.onDidChange(() => this.render());
    this.render();
    this.item.show();
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
    this.item.dispose();
  }
}
