/**
 * The store's built-in series (model/series.ts) with their files: a sample after each poll of a
 * running application whose executor list is known, a compact file (gzip of the delta-encoded
 * JSON) when the application ends, read back when someone asks for an ended application's series
 * that left memory (or was recorded in an earlier window).
 *
 * Files are named after the application id (Spark's ids are unique and contain only
 * `[A-Za-z0-9_-]`), so a run's series is found again whichever source serves it later.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AppSeries, decodeSeries, encodeSeries, sampleOf, SeriesBook, SeriesValues } from '../model/series';
import type { ApplicationDetail } from '../model/types';
import type { AppEntry } from '../model/entries';
import type { Part } from '../model/summary';
import type { AppRecord } from './appReads';

/** Saved series files kept at most (the oldest go first). */
const MAX_FILES = 500;

export interface SeriesFiles {
  /** Folder of saved series; undefined: nothing is saved (tests, no storage). */
  readonly dir?: string;
  readonly warn: (msg: string) => void;
}

function fileName(appId: string): string | undefined {
  return /^[A-Za-z0-9_.-]{1,200}$/.test(appId) && !appId.startsWith('.') ? `${appId}.series.json.gz` : undefined;
}

export class SeriesRecorder {
  private readonly book = new SeriesBook();
  /** Application id of each key recorded (files are by id). */
  private readonly ids = new Map<string, string>();
  /** Keys whose file was looked for and not found (not looked for again). */
  private readonly noFile = new Set<string>();
  /**
   * The last sample of each key with the lists it came from: lists not read again since (the
   * same arrays) give the same figures, so a quiet poll does not add up 1,000 executors again.
   */
  private readonly lastSample = new Map<string, { executors: unknown; stages: unknown; values: SeriesValues }>();

  constructor(private readonly files: SeriesFiles) {}

  /** A sample of a running application's lists at `time`; false when the lists give none. */
  record(key: string, appId: string, time: number, detail: ApplicationDetail): boolean {
    const last = this.lastSample.get(key);
    const values = last && last.executors === detail.executors && last.stages === detail.stages ? last.values : sampleOf(detail.executors, detail.stages);
    if (!values) return false;
    this.lastSample.set(key, { executors: detail.executors, stages: detail.stages, values });
    this.ids.set(key, appId);
    this.noFile.delete(key);
    for (const k of this.book.record(key, time, values)) {
      this.ids.delete(k);
      this.lastSample.delete(k);
    }
    return true;
  }

  /**
   * After a good poll of an application, one point from its lists as they are now: only while
   * it runs, its executor list is wanted and was read within `maxAgeMs` (an unchanged list is not
   * read again: the summary said nothing changed). True when a point was added.
   */
  afterPoll(key: string, entry: AppEntry, rec: AppRecord, wanted: ReadonlySet<Part>, now: number, maxAgeMs: number): boolean {
    const st = rec.state;
    const readAt = rec.memory.readAt.executors;
    if (entry.app.state !== 'running' || st.stale || st.error || !wanted.has('executors') || readAt === undefined || now - readAt > maxAgeMs) return false;
    return this.record(key, entry.app.id, now, st.detail);
  }

  /** The application ended (completed, or gone from every source): its series is saved once. */
  end(key: string): void {
    this.lastSample.delete(key);
    if (!this.book.get(key) || this.book.isEnded(key)) return;
    this.book.markEnded(key);
    this.save(key);
  }

  /** Keys with a series still being recorded. */
  liveKeys(): string[] {
    return this.book.keys().filter((k) => !this.book.isEnded(k));
  }

  /** Ends (and saves) every series whose application no longer runs; returns their keys. */
  endedOf(running: (key: string) => boolean): string[] {
    const ended = this.liveKeys().filter((k) => !running(k));
    for (const k of ended) this.end(k);
    return ended;
  }

  /** An application's series: in memory, else its saved file (read once, then kept in the budget). */
  get(key: string, appId: string): AppSeries | undefined {
    const s = this.book.get(key);
    if (s) return s;
    if (this.noFile.has(key)) return undefined;
    const loaded = this.load(appId);
    if (!loaded) {
      this.noFile.add(key);
      return undefined;
    }
    this.ids.set(key, appId);
    for (const k of this.book.put(key, loaded)) {
      this.ids.delete(k);
      this.lastSample.delete(k);
    }
    return loaded;
  }

  /** Bytes held in memory by every series. */
  bytes(): number {
    return this.book.bytes();
  }

  /** Saves every series still recorded (the window closes). */
  saveAll(): void {
    for (const k of this.liveKeys()) this.save(k);
  }

  private save(key: string): void {
    const appId = this.ids.get(key);
    const s = this.book.get(key);
    const name = appId && fileName(appId);
    if (!this.files.dir || !s || !name || !appId) return;
    try {
      mkdirSync(this.files.dir, { recursive: true });
      writeFileSync(join(this.files.dir, name), gzipSync(JSON.stringify(encodeSeries(appId, s))));
      this.prune();
    } catch (e) {
      this.files.warn(`built-in series of ${appId} not saved: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private load(appId: string): AppSeries | undefined {
    const name = fileName(appId);
    if (!this.files.dir || !name) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(gunzipSync(readFileSync(join(this.files.dir, name))).toString('utf8'));
    } catch {
      return undefined;
    }
    const d = decodeSeries(raw);
    return d && d.appId === appId ? d.series : undefined;
  }

  /** Keeps the folder bounded: the oldest files beyond MAX_FILES go. */
  private prune(): void {
    const dir = this.files.dir;
    if (!dir) return;
    const files = readdirSync(dir).filter((f) => f.endsWith('.series.json.gz'));
    if (files.length <= MAX_FILES) return;
    const byAge = files.map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
    for (const { f } of byAge.slice(0, files.length - MAX_FILES)) rmSync(join(dir, f), { force: true });
  }
}
