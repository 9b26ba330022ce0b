/**
 * Composition root: builds the objects, registers them, nothing else. Activation stays cheap
 * (DESIGN.md: ≤ 25 ms): no request is made here; the store's first poll runs on a timer.
 */
import * as vscode from 'vscode';
import { ConfigHolder, Config } from './config';
import { CredentialStore } from './credentials';
import { createHttpClient } from './sources/http';
import { Store, StoreSettings } from './store/store';
import { redactingLog } from './ui/redactingLog';
import type { SourceConfig } from './model/types';
import type { FeatureContext } from './featureContext';
import { register as registerExplorer, Explorer } from './features/explorer';
import { register as registerDashboard } from './features/dashboard';
import { register as registerRunFile, stopAllRuns } from './features/runFile';
import { register as registerCacheLens } from './features/cacheLens';
import { register as registerCompare } from './features/compare';
import { register as registerInlineHints } from './features/inlineHints';
import { register as registerLocalHistory } from './features/localHistory';
import { Command } from './commands';

/** Feature modules, each `register(f)`. Add one line per feature; keep the order stable. */
const FEATURES: Array<(f: FeatureContext) => void> = [registerDashboard, registerRunFile, registerCacheLens, registerCompare, registerInlineHints, registerLocalHistory];

/** What the extension exposes to its own tests (and to nothing else). */
export interface SparkObservatoryApi extends Explorer {
  readonly store: Store;
  readonly credentials: CredentialStore;
  /** How many disposables the extension holds until it deactivates (context.subscriptions): its leak tests count them. */
  subscriptionCount(): number;
}
function storeSettings(c: Config): StoreSettings {
  return {
    // Sources and discovery are machine-scoped settings (and restricted in untrusted
    // workspaces), so a workspace can never point the extension at an endpoint.
    configured: c.sources,
    discovery: c.discovery,
    refreshIntervalMs: c.refreshIntervalMs,
    statusBarIntervalMs: c.statusBarIntervalMs,
    requestTimeoutMs: c.requestTimeoutMs,
    historyMaxApplications: c.historyMaxApplications,
  };
}

export function activate(context: vscode.ExtensionContext): SparkObservatoryApi {
  const log = redactingLog(vscode.window.createOutputChannel('Spark Observatory', { log: true }));
  const config = new ConfigHolder();
  const credentials = new CredentialStore(context.secrets);

  // Only configured sources carry credentials; discovered ones are loopback probes.
  const makeClient = async (source: SourceConfig, timeoutMs: number) =>
    createHttpClient({
      baseUrl: source.url,
      caFile: source.caFile,
      timeoutMs,
      credentials: source.origin === 'settings' ? await credentials.get(source.name, source.url) : undefined,
    });
  const store = new Store(storeSettings(config.value), {
    makeClient,
    // Built-in series of ended applications, saved compactly (a file each, gzip).
    seriesDir: vscode.Uri.joinPath(context.globalStorageUri, 'series').fsPath,
    log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
  });

  store.setFocused(vscode.window.state.focused);
  context.subscriptions.push(
    log,
    config,
    store,
    vscode.window.onDidChangeWindowState((w) => store.setFocused(w.focused)),
    config.onDidChange((c) => store.updateSettings(storeSettings(c))),
    credentials.onDidChange((name) => store.forgetClient(name)),
    vscode.commands.registerCommand(Command.ShowLog, () => log.show()),
  );
  const features: FeatureContext = { context, store, config, log, credentials };
  const explorer = registerExplorer(features);
  for (const register of FEATURES) register(features);
  store.start();
  return { store, credentials, ...explorer, subscriptionCount: () => context.subscriptions.length };
}
export function deactivate(): void {
  // Jobs first, before anything else is disposed: a stop is one message to each job's watchdog,
  // which finishes it (the Python driver, then the group) even if this host exits right after.
  // Everything else is in context.subscriptions.
  stopAllRuns();
}
