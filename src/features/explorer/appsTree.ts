/**
 * The Applications tree's provider: it keeps the nodes it refreshes one by one (groups,
 * applications, the lists under an application) by id, and maps the store's change keys to
 * them, so a change refreshes the node whose key changed and nothing else. What is expanded in
 * a visible tree is what the store reads: an application's jobs, stages and configuration; its
 * executors and cached datasets when those lists are open. A hidden tree reads nothing.
 */
import * as vscode from 'vscode';
import type { Store } from '../../store/store';
import { ChangeKeys, parseChangeKey } from '../../store/changes';
import type { Part } from '../../model/summary';
import { Node, NodeContext } from './node';
import { AppNode, GroupNode } from './treeNodes';
import { AppChild, CachedDatasetNode, CachedDatasetsNode } from './appNodes';

export { Node, hasApp } from './node';
export type { HasApp, UiPage } from './node';
export { AppNode } from './treeNodes';

/** An application's own lists, read while its node is expanded. */
const APP_PARTS: readonly Part[] = ['jobs', 'stages', 'environment'];
/** A History Server's finished application is read once: its executors and storage come along. */
const HISTORY_PARTS: readonly Part[] = ['jobs', 'stages', 'environment', 'executors', 'storage'];

export class AppsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly kept = new Map<string, Node>();
  /** Expanded nodes and the lists they want read. */
  private readonly expandedNodes = new Map<string, { appKey: string; parts: readonly Part[] }>();
  private readonly watches = new Map<string, { dispose(): void }>();
  private visible = false;
  private readonly ctx: NodeContext;
  private readonly sub: { dispose(): void };

  constructor(
    private readonly store: Store,
    now: () => number = Date.now,
  ) {
    this.ctx = {
      store,
      now,
      keep: <T extends Node>(id: string, make: () => T): T => {
        let n = this.kept.get(id) as T | undefined;
        if (!n) {
          n = make();
          this.kept.set(id, n);
        }
        return n;
      },
    };
    this.sub = store.onDidChange((keys) => this.changed(keys));
  }

  /** The keys the store announced → the nodes to refresh. */
  private changed(keys: ReadonlySet<string>): void {
    if (keys.has(ChangeKeys.sources) || keys.has(ChangeKeys.apps) || keys.has(ChangeKeys.alerts)) {
      this.forgetGone();
      this.emitter.fire(undefined);
      return;
    }
    const nodes = new Set<Node>();
    // A run of this window started or ended: which applications it may stop changed.
    if (keys.has(ChangeKeys.runs)) for (const n of this.kept.values()) if (n instanceof AppNode) nodes.add(n);
    for (const key of keys) {
      const k = parseChangeKey(key);
      if (!k) continue;
      const app = this.kept.get(`app:${k.appKey}`);
      if (!app) continue;
      if (!k.part) nodes.add(app);
      else {
        const suffix = { executors: 'executors', jobs: 'jobs', stages: 'stages', storage: 'cached', environment: 'config', taskSummaries: undefined }[k.part];
        const n = suffix ? this.kept.get(`app:${k.appKey}/${suffix}`) : undefined;
        if (n) nodes.add(n);
      }
    }
    // A refreshed application redraws its lists too.
    for (const n of [...nodes]) if (n.parent && nodes.has(n.parent)) nodes.delete(n);
    for (const n of nodes) this.emitter.fire(n);
  }

  /** Nodes of applications no source lists any more are dropped (and their reads with them). */
  private forgetGone(): void {
    for (const [id, n] of this.kept) {
      const key = n instanceof AppNode ? n.key : n instanceof AppChild ? n.app.key : undefined;
      if (key !== undefined && !this.store.entry(key)) {
        this.kept.delete(id);
        this.unwatch(id);
        this.expandedNodes.delete(id);
      }
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node.item(this.ctx);
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.store.groups().map((g) => this.ctx.keep(`group:${g.name}`, () => new GroupNode(g.name)));
    // Asked for its children: it is expanded (also when VS Code restores an expanded node).
    this.expanded(node);
    return node.children(this.ctx);
  }

  /** For TreeView.reveal: the node above (kept nodes know theirs). */
  getParent(node: Node): Node | undefined {
    return node.parent;
  }

  /** The tree node of an application's cached dataset, for reveal; undefined when not read. */
  cachedDatasetNode(appKey: string, rddId: number): Node | undefined {
    const app = this.kept.get(`app:${appKey}`) as AppNode | undefined;
    const entry = this.store.entry(appKey);
    const ds = this.store.detail(appKey)?.detail.cachedDatasets?.find((d) => d.rddId === rddId);
    if (!entry || !ds) return undefined;
    const appNode = app ?? this.ctx.keep(`app:${appKey}`, () => new AppNode(appKey, entry));
    const group = this.ctx.keep(`group:${entry.group}`, () => new GroupNode(entry.group));
    appNode.parent ??= group;
    const list = this.ctx.keep(`app:${appKey}/cached`, () => new CachedDatasetsNode(appNode));
    list.parent = appNode;
    const node = new CachedDatasetNode(appNode, ds);
    node.parent = list;
    return node;
  }

  expanded(node: Node): void {
    const parts = node instanceof AppNode ? (node.entry.via === 'history' ? HISTORY_PARTS : APP_PARTS) : node instanceof AppChild && node.part ? [node.part] : undefined;
    if (!parts) return;
    const appKey = node instanceof AppNode ? node.key : (node as AppChild).app.key;
    if (this.expandedNodes.has(node.id)) return;
    this.expandedNodes.set(node.id, { appKey, parts });
    if (this.visible) this.watchNode(node.id);
  }

  collapsed(node: Node): void {
    this.expandedNodes.delete(node.id);
    this.unwatch(node.id);
  }

  /** A hidden tree reads nothing; shown again, it reads what is expanded. */
  setVisible(visible: boolean): void {
    if (this.visible === visible) return;
    this.visible = visible;
    if (visible) for (const id of this.expandedNodes.keys()) this.watchNode(id);
    else for (const id of [...this.watches.keys()]) this.unwatch(id);
  }

  /** Application keys the tree makes the store read now (tests). */
  watchedKeys(): string[] {
    return [...new Set([...this.watches.keys()].map((id) => this.expandedNodes.get(id)?.appKey).filter((k): k is string => !!k))];
  }

  private watchNode(id: string): void {
    const e = this.expandedNodes.get(id);
    if (!e || this.watches.has(id)) return;
    this.watches.set(id, this.store.watch(e.appKey, { parts: e.parts }));
  }

  private unwatch(id: string): void {
    this.watches.get(id)?.dispose();
    this.watches.delete(id);
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
