/**
 * What every feature module gets from the composition root. A feature exports
 * `register(f: FeatureContext)` and pushes its disposables to `f.context.subscriptions`;
 * features reach each other only through commands (commands.ts).
 */
import type * as vscode from 'vscode';
import type { ConfigHolder } from './config';
import type { CredentialStore } from './credentials';
import type { Store } from './store/store';

export interface FeatureContext {
  readonly context: vscode.ExtensionContext;
  readonly store: Store;
  readonly config: ConfigHolder;
  readonly log: vscode.LogOutputChannel;
  readonly credentials: CredentialStore;
}
