/**
 * F2 as one feature: the Applications tree, the status bar, the source commands and the item
 * actions. Other features reach it through commands (Reveal Cached Dataset).
 */
import * as vscode from 'vscode';
import type { FeatureContext } from '../../featureContext';
import { BuiltinCommand, Command, VIEW_ID } from '../../commands';
import { sparkUiUrl } from '../../model/uiLinks';
import { AppsTreeProvider, hasApp, Node } from './appsTree';
import { StatusBar } from './statusBar';
import { addSource, setCredentials } from './sourceCommands';

/** What the explorer exposes to the extension's own tests. */
export interface Explorer {
  readonly tree: AppsTreeProvider;
  readonly statusBar: StatusBar;
  readonly view: vscode.TreeView<Node>;
}

export function register(f: FeatureContext): Explorer {
  const { store } = f;
  const tree = new AppsTreeProvider(store);
  const view = vscode.window.createTreeView<Node>(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  const statusBar = new StatusBar(store);
  tree.setVisible(view.visible);
  store.setViewVisible(view.visible);
  f.context.subscriptions.push(
    tree,
    view,
    statusBar,
    view.onDidChangeVisibility((e) => {
      tree.setVisible(e.visible);
      store.setViewVisible(e.visible);
    }),
    view.onDidExpandElement((e) => tree.expanded(e.element)),
    view.onDidCollapseElement((e) => tree.collapsed(e.element)),
    vscode.commands.registerCommand(Command.Refresh, () => store.refresh()),
    vscode.commands.registerCommand(Command.AddSource, () => addSource(f.config)),
    vscode.commands.registerCommand(Command.SetCredentials, () => setCredentials(f.credentials, store)),
    vscode.commands.registerCommand(Command.OpenSparkUi, (node?: Node) => {
      if (!hasApp(node)) return;
      const source = store.source(node.entry.sourceId);
      const url = source && sparkUiUrl(source.config.url, node.entry.via, node.entry.app, node.uiPage);
      if (url) void vscode.env.openExternal(vscode.Uri.parse(url));
    }),
    vscode.commands.registerCommand(Command.CopyApplicationId, (node?: Node) => {
      if (hasApp(node)) void vscode.env.clipboard.writeText(node.entry.app.id);
    }),
    vscode.commands.registerCommand(Command.RevealCachedDataset, (appKey: string, rddId: number) => revealDataset(f, tree, view, appKey, rddId)),
  );
  return { tree, statusBar, view };
}

/** Reveals a cached dataset in the Applications tree and, when Prometheus has its application, opens its charts. */
async function revealDataset(f: FeatureContext, tree: AppsTreeProvider, view: vscode.TreeView<Node>, appKey: string, rddId: number): Promise<void> {
  const node = tree.cachedDatasetNode(appKey, rddId);
  if (node) {
    try {
      await view.reveal(node, { select: true, focus: false, expand: true });
    } catch (e) {
      f.log.warn(`could not reveal rdd ${rddId} of ${appKey} in the tree: ${String(e)}`);
      await vscode.commands.executeCommand(BuiltinCommand.FocusView);
    }
  } else {
    await vscode.commands.executeCommand(BuiltinCommand.FocusView);
  }
  if (f.store.reads.prometheusUrlFor(appKey)) await vscode.commands.executeCommand(Command.OpenDashboard, appKey);
}
