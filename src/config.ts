/**
 * A typed snapshot of every setting, replaced as a whole when they change (as error-lens does):
 * readers never see half-updated values. Features read `f.config.value` and follow
 * `f.config.onDidChange`; none reads vscode.workspace.getConfiguration for our settings. What the values
 * mean (bounds, defaults, parsing) is model/settings.ts, which a unit test checks against
 * package.json.
 */
import * as vscode from 'vscode';
import { Config, parseConfig, SECTION } from './model/settings';

export { SECTION };
export type { Config, ConfiguredSource } from './model/settings';

export function readConfig(): Config {
  const c = vscode.workspace.getConfiguration(SECTION);
  return parseConfig((key) => c.get<unknown>(key));
}

/** What a reader of the settings needs: the snapshot and its changes. */
export interface ConfigSource {
  readonly value: Config;
  readonly onDidChange: vscode.Event<Config>;
}

/** Holds the current snapshot and fires when it is replaced. */
export class ConfigHolder implements ConfigSource, vscode.Disposable {
  private current = readConfig();
  private readonly emitter = new vscode.EventEmitter<Config>();
  readonly onDidChange = this.emitter.event;
  private readonly sub = vscode.workspace.onDidChangeConfiguration((e) => {
    if (!e.affectsConfiguration(SECTION)) return;
    this.current = readConfig();
    this.emitter.fire(this.current);
  });
  get value(): Config {
    return this.current;
  }
  /**
   * The raw value of one setting in the user's settings, for a read-modify-write of a list
   * (entries the snapshot leaves out as invalid are kept as the person wrote them).
   */
  userValue(key: string): unknown {
    return vscode.workspace.getConfiguration(SECTION).inspect(key)?.globalValue;
  }
  /** Writes one user setting (the snapshot follows through the change event). */
  async update(key: string, value: unknown): Promise<void> {
    await vscode.workspace.getConfiguration(SECTION).update(key, value, vscode.ConfigurationTarget.Global);
  }
  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
