/**
 * Which runs Compare Runs compares: the two groups the command was given (links, tests, the
 * tree's selection) or the ones picked in quick picks.
 */
import * as vscode from 'vscode';
import type { Store } from '../../store/store';
import { appKeyArg, appKeysArg } from '../../ui/commandArgs';
import { pickItemText } from '../../ui/labels';
import { appPickItems, splitSelection } from '../../model/compareView';

/** Applications picked in a quick pick (one or more); undefined when cancelled or there are none. */
async function pickApplications(store: Store, title: string, exclude: readonly string[] = []): Promise<string[] | undefined> {
  // A fresh list of every source, so a run that just ended is there; a slow source does not
  // hold the pick up for more than a moment (the store's last good list is shown then).
  await Promise.race([store.refresh().catch(() => undefined), new Promise((r) => setTimeout(r, 1500))]);
  const items = appPickItems(
    store.applications().map((e) => ({
      key: e.key, id: e.app.id, name: e.app.name, state: e.app.state, startTime: e.app.startTime,
      durationMs: e.app.durationMs, clockOffsetMs: e.clockOffsetMs, via: e.via, group: e.group,
    })),
    Date.now(),
  ).filter((i) => !exclude.includes(i.key)).map(pickItemText);
  if (items.length === 0) {
    void vscode.window.showInformationMessage(
      exclude.length ? 'There is no other Spark application to compare with.' : 'No Spark application is known yet: start one, or add a source (a History Server lists finished ones).',
    );
    return undefined;
  }
  return pickMany(items, title, 'Filter by name; Enter takes the highlighted run, or tick several runs of one variant');
}

/**
 * A quick pick of several items where Enter with nothing ticked takes the highlighted one, so
 * picking one run stays "type, Enter" (showQuickPick with canPickMany would return nothing).
 */
function pickMany<T extends vscode.QuickPickItem & { readonly key: string }>(items: readonly T[], title: string, placeholder: string): Promise<string[] | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<T>();
    Object.assign(qp, { title, placeholder, items, canSelectMany: true, matchOnDescription: true, matchOnDetail: true });
    let done = false;
    const finish = (keys: string[] | undefined) => {
      if (done) return;
      done = true;
      resolve(keys && keys.length > 0 ? keys : undefined);
      qp.dispose();
    };
    // A multi-select pick has no highlighted row until the arrows move: Enter after typing takes
    // the first run the filter shows (its text in the label, description or detail).
    const firstShown = (): T[] => {
      const q = qp.value.trim().toLowerCase();
      const hit = items.find((i) => !q || [i.label, i.description, i.detail].some((t) => t?.toLowerCase().includes(q)));
      return hit ? [hit] : [];
    };
    qp.onDidAccept(() => finish((qp.selectedItems.length > 0 ? qp.selectedItems : qp.activeItems.length > 0 ? qp.activeItems.slice(0, 1) : firstShown()).map((i) => i.key)));
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}

const keyList = (v: unknown): string[] | undefined => (Array.isArray(v) && v.length > 0 && v.every((k) => typeof k === 'string') ? (v as string[]) : undefined);

/**
 * Which two groups of applications the command was asked for: (keyA, keyB) or ([keys A], [keys B])
 * from links and tests; (node, selected nodes) from the tree; else quick picks.
 */
export async function resolveGroups(store: Store, arg1: unknown, arg2: unknown): Promise<{ a: string[]; b: string[] } | undefined> {
  if (typeof arg1 === 'string' && typeof arg2 === 'string') return { a: [arg1], b: [arg2] };
  const la = keyList(arg1);
  const lb = keyList(arg2);
  if (la && lb) return { a: la, b: lb };
  const selected = appKeysArg(arg2);
  const clicked = appKeyArg(arg1);
  const keys = [...new Set(clicked && !selected.includes(clicked) ? [clicked, ...selected] : selected.length ? selected : clicked ? [clicked] : [])];
  if (keys.length >= 2) {
    const split = splitSelection(keys.map((k) => ({ key: k, name: store.entry(k)?.app.name ?? k, startTime: store.entry(k)?.app.startTime })));
    if (split) return split;
    // The names do not tell the two variants apart: the person says which are A.
    const items = keys.map((k) => ({ key: k, label: store.entry(k)?.app.name || k, description: store.entry(k)?.app.id ?? '' })).map(pickItemText);
    const a = (await pickMany(items, `Compare Runs: which of the ${keys.length} selected runs are A (the baseline)? The others are B.`, 'Tick the runs of A')) ?? [];
    const b = keys.filter((k) => !a.includes(k));
    return a.length > 0 && b.length > 0 ? { a, b } : undefined;
  }
  const a = keys.length === 1 ? keys : await pickApplications(store, 'Compare Runs: pick run A (the baseline), or several runs of it');
  if (!a) return undefined;
  const first = store.entry(a[0])?.app.name ?? a[0];
  const b = await pickApplications(store, `Compare Runs: pick run B (compared with ${first}${a.length > 1 ? ` and ${a.length - 1} more` : ''}), or several runs of it`, a);
  return b ? { a, b } : undefined;
}
