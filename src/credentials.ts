/**
 * Credentials in SecretStorage, one entry per source name, saved with the origin they were
 * entered for: they are sent to that origin only, so a source whose URL is later changed (or
 * a redirect to elsewhere) never receives them.
 */
import * as vscode from 'vscode';
import type { Credentials } from './sources/http';

interface Saved {
  readonly origin: string;
  readonly credentials: Credentials;
}

const KEY_PREFIX = 'sparkObservatory.credentials.';

export class CredentialStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async get(sourceName: string, url: string): Promise<Credentials | undefined> {
    const raw = await this.secrets.get(KEY_PREFIX + sourceName);
    if (!raw) return undefined;
    try {
      const saved = JSON.parse(raw) as Saved;
      return saved.origin === new URL(url).origin ? saved.credentials : undefined;
    } catch {
      return undefined;
    }
  }

  async set(sourceName: string, url: string, credentials: Credentials | undefined): Promise<void> {
    if (!credentials) return this.secrets.delete(KEY_PREFIX + sourceName);
    const saved: Saved = { origin: new URL(url).origin, credentials };
    await this.secrets.store(KEY_PREFIX + sourceName, JSON.stringify(saved));
  }

  onDidChange(listener: (sourceName: string) => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if (e.key.startsWith(KEY_PREFIX)) listener(e.key.slice(KEY_PREFIX.length));
    });
  }
}
