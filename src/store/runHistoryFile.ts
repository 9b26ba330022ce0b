/**
 * The run history on disk: JSON lines in the extension's global storage (model/runHistory.ts
 * says what a line holds). Appends are synchronous and small, so the end of a run is recorded
 * even when the window is closing. Compaction rewrites the file (write then rename) when it holds
 * runs past retention or many superseded lines; a line another window appends during that moment
 * can be lost, which costs one run's history at most.
 */
import { appendFileSync, mkdirSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { historyLine, keptHistory, parseHistory, RunHistoryRecord } from '../model/runHistory';
import type { RunSink } from './runs';

export const HISTORY_FILE = 'run-history.jsonl';

export class RunHistoryFile implements RunSink {
  constructor(
    readonly file: string,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  append(rec: RunHistoryRecord): void {
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      appendFileSync(this.file, historyLine(rec) + '\n');
    } catch (e) {
      this.warn(`could not record run ${rec.id} in ${this.file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Every recorded run, oldest first (nothing when there is no file yet). */
  async read(): Promise<RunHistoryRecord[]> {
    return parseHistory(await this.text());
  }

  /** The runs kept (`keptHistory`); the file is rewritten when it holds more than those. */
  async compact(nowMs: number, days: number): Promise<RunHistoryRecord[]> {
    const text = await this.text();
    const all = parseHistory(text);
    const kept = keptHistory(all, nowMs, days);
    const lines = text.split('\n').filter((l) => l.trim()).length;
    if (kept.length < all.length || lines > 2 * kept.length + 20) {
      const tmp = `${this.file}.${process.pid}.tmp`;
      try {
        await fs.writeFile(tmp, kept.map((r) => historyLine(r) + '\n').join(''));
        await fs.rename(tmp, this.file);
      } catch (e) {
        this.warn(`could not compact ${this.file}: ${e instanceof Error ? e.message : String(e)}`);
        await fs.rm(tmp, { force: true }).catch(() => undefined);
      }
    }
    return kept;
  }

  private async text(): Promise<string> {
    try {
      return await fs.readFile(this.file, 'utf8');
    } catch {
      return '';
    }
  }
}
