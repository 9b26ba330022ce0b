/**
 * What every feature module gets from the composition root. A feature exports
 * `register(f: FeatureContext): void` and pushes its disposables to `f.context.subscriptions`.
 */
import type * as vscode from 'vscode';
import type { ConfigHolder } from './config';
import type { CredentialStore } from './credentials';
import type { Store } from './store/store';
import type { AppsTreeProvider, Node } from './features/explorer/appsTree';

export interface FeatureContext {
  readonly context: vscode.ExtensionContext;
  readonly store: Store;
  readonly config: ConfigHolder;
  readonly log: vscode.LogOutputChannel;
  readonly credentials: CredentialStore;
  readonly tree: AppsTreeProvider;
  readonly view: vscode.TreeView<Node>;
}
