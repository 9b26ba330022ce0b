/** Add Source and Set Credentials: quick inputs that write settings and SecretStorage. */
import * as vscode from 'vscode';
import type { ConfigHolder } from '../../config';
import type { CredentialStore } from '../../credentials';
import { pickItemText } from '../../ui/labels';
import { normaliseSourceUrl } from '../../model/ports';
import type { SourceKind } from '../../model/types';
import type { Store } from '../../store/store';

const KIND_PICKS: Array<vscode.QuickPickItem & { sourceKind: SourceKind | undefined }> = [
  { label: 'Detect', description: 'probe the endpoint', sourceKind: undefined },
  { label: 'Live driver', description: 'a driver UI, e.g. :4040', sourceKind: 'driver' },
  { label: 'History Server', description: 'e.g. :18080', sourceKind: 'history' },
  { label: 'Standalone Master', description: 'web UI, e.g. :8080', sourceKind: 'master' },
  { label: 'Prometheus', description: 'e.g. :9090', sourceKind: 'prometheus' },
];

export async function addSource(config: ConfigHolder): Promise<void> {
  const url = await vscode.window.showInputBox({
    title: 'Add Spark Source (1/3): URL',
    prompt: 'Base URL of a Spark driver, History Server, standalone Master or Prometheus; paths after the host are kept.',
    placeHolder: 'http://127.0.0.1:18080',
    ignoreFocusOut: true,
    validateInput: (v) => (normaliseSourceUrl(v) ? undefined : 'An http:// or https:// URL'),
  });
  if (!url) return;
  const normalised = normaliseSourceUrl(url)!;
  const name = await vscode.window.showInputBox({
    title: 'Add Spark Source (2/3): name',
    value: new URL(normalised).host,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'A name'),
  });
  if (!name) return;
  const kind = await vscode.window.showQuickPick(KIND_PICKS, { title: 'Add Spark Source (3/3): kind', ignoreFocusOut: true });
  if (!kind) return;
  const saved = config.userValue('sources');
  const current = (Array.isArray(saved) ? saved : []).filter((s) => (s as { name?: string } | null)?.name !== name.trim());
  const entry: Record<string, string> = { name: name.trim(), url: normalised };
  if (kind.sourceKind) entry.kind = kind.sourceKind;
  // Sources are machine-scoped settings: they live in user settings, never in a workspace.
  await config.update('sources', [...current, entry]);
}

export async function setCredentials(credentials: CredentialStore, store: Store): Promise<void> {
  const configured = store.allSources().filter((s) => s.config.origin === 'settings');
  if (configured.length === 0) {
    void vscode.window.showInformationMessage('Credentials belong to a configured source: add one first.', 'Add Source…').then((c) => {
      if (c) void vscode.commands.executeCommand('sparkObservatory.addSource');
    });
    return;
  }
  const pick = await vscode.window.showQuickPick(
    configured.map((s) => pickItemText({ label: s.config.name, description: s.config.url, source: s })),
    { title: 'Set Credentials: source' },
  );
  if (!pick) return;
  const type = await vscode.window.showQuickPick(
    [
      { label: 'Basic', description: 'user name and password', value: 'basic' as const },
      { label: 'Bearer token', value: 'bearer' as const },
      { label: 'None', description: 'forget saved credentials', value: 'none' as const },
    ],
    { title: `Set Credentials for ${pick.source.config.name}` },
  );
  if (!type) return;
  const url = pick.source.config.url;
  if (type.value === 'none') {
    await credentials.set(pick.source.config.name, url, undefined);
  } else if (type.value === 'basic') {
    const username = await vscode.window.showInputBox({ title: 'User name', ignoreFocusOut: true });
    if (username === undefined) return;
    const password = await vscode.window.showInputBox({ title: 'Password', password: true, ignoreFocusOut: true });
    if (password === undefined) return;
    await credentials.set(pick.source.config.name, url, { type: 'basic', username, password });
  } else {
    const token = await vscode.window.showInputBox({ title: 'Bearer token', password: true, ignoreFocusOut: true });
    if (!token) return;
    await credentials.set(pick.source.config.name, url, { type: 'bearer', token });
  }
  store.forgetClient(pick.source.config.id);
  await store.refresh();
}
