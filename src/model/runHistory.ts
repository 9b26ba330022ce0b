/**
 * The history of "Run File with Observability": one record per run (file, arguments, confs, the
 * hook's events file, the application id once known, start, end, exit code), kept as JSON lines
 * in the extension's storage so "Compare with Previous Run" finds the run before this one, also
 * after a reload. Pure: reading and appending the file is store/runHistoryFile.ts.
 *
 * The file is append-only (windows of one VS Code share it): each change of a run appends its
 * whole record again, and reading keeps the last line of each id. Values that may be secret are
 * redacted before they are recorded: the comparison needs none of them.
 */
import { hostPort, START_SLACK_MS } from './appForFile';
import { eventLogAppId } from './compareView';
import { javaRedactionRegex, redact, REDACTED_VALUE, sparkRedacts } from './redaction';

export interface RunHistoryRecord {
  /** Unique across windows: start time and a random part. */
  readonly id: string;
  readonly file: string;
  /** The file's arguments, as shown (credentials in URLs redacted). */
  readonly args: readonly string[];
  /** The `--conf`s spark-submit got, values Spark would redact shown as it shows them. */
  readonly confs: readonly (readonly [string, string])[];
  readonly master: string;
  /** The driver UI the run asked for. */
  readonly uiUrl: string;
  /** The driver UI it bound (Spark moves on when the port is taken). */
  readonly boundUiUrl?: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly endedAt?: number;
  /** null: ended by a signal. */
  readonly exitCode?: number | null;
  readonly appId?: string;
  /** The hook's JSON-lines events of this run (SO_HOOK_EVENTS). */
  readonly eventsFile?: string;
  /** Where Spark wrote the run's event log. */
  readonly eventLogDir?: string;
  /** The command line as shown in the terminal (redacted). */
  readonly commandLine: string;
}

/** How much history is kept: the newest runs, and none older than the retention period. */
export const HISTORY_MAX_RUNS = 200;
/** `sparkObservatory.run.retentionDays`: the same period as the run files in the extension's storage. */
export const RETENTION_DAYS = { default: 14, min: 1, max: 3650 } as const;
const DAY_MS = 86_400_000;

/** A new run's id: its start time and a random part (`random` in [0, 1)). */
export function newRunId(startedAt: number, random: number): string {
  return `${startedAt.toString(36)}-${Math.floor(random * 36 ** 6).toString(36).padStart(6, '0')}`;
}

/** The `--conf k=v` pairs of a spark-submit argv, redacted as Spark would show them. */
export function submittedConfs(args: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < args.length; i++) {
    if (args[i] !== '--conf') continue;
    const kv = args[i + 1];
    const eq = kv.indexOf('=');
    if (eq > 0) pairs.push([kv.slice(0, eq), kv.slice(eq + 1)]);
  }
  const own = javaRedactionRegex(pairs.find(([k]) => k === 'spark.redaction.regex')?.[1]);
  return pairs.map(([k, v]) => [k, sparkRedacts(k, v, own) ? REDACTED_VALUE : redact(v)]);
}

/** A job's arguments as recorded: credentials in URLs and secret-looking parameters redacted. */
export function recordedArgs(args: readonly string[]): string[] {
  return args.map((a) => redact(a));
}

/**
 * The application id in a line of Spark's log: the event log it writes, `… Logging events to
 * file:/…/eventlog_v2_local-1796028377438/events_1_local-1796028377438.zstd` (rolling, 4.x) or
 * `… Logging events to file:/…/local-1796028377438.inprogress` (one file, 3.5).
 */
export function appIdFromSparkLog(line: string): string | undefined {
  const m = /Logging events to (\S+)/.exec(line);
  if (!m) return undefined;
  const parts = m[1].replace(/\\/g, '/').split('/').filter(Boolean);
  const parent = parts[parts.length - 2] ?? '';
  return eventLogAppId(parent.startsWith('eventlog_v2_') ? parent : parts[parts.length - 1] ?? '');
}

/** One record as a line of the history file. */
export function historyLine(r: RunHistoryRecord): string {
  const { id, file, args, confs, master, uiUrl, boundUiUrl, startedAt, endedAt, exitCode, appId, eventsFile, eventLogDir, commandLine } = r;
  return JSON.stringify({ id, file, args, confs, master, uiUrl, boundUiUrl, startedAt, endedAt, exitCode, appId, eventsFile, eventLogDir, commandLine });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function parseRecord(v: unknown): RunHistoryRecord | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const id = str(o.id);
  const file = str(o.file);
  const startedAt = num(o.startedAt);
  if (!id || !file || startedAt === undefined) return undefined;
  const confs = Array.isArray(o.confs)
    ? o.confs.filter((c): c is [string, string] => Array.isArray(c) && c.length === 2 && typeof c[0] === 'string' && typeof c[1] === 'string')
    : [];
  return {
    id,
    file,
    args: Array.isArray(o.args) ? o.args.filter((a): a is string => typeof a === 'string') : [],
    confs,
    master: str(o.master) ?? '',
    uiUrl: str(o.uiUrl) ?? '',
    boundUiUrl: str(o.boundUiUrl),
    startedAt,
    endedAt: num(o.endedAt),
    exitCode: o.exitCode === null ? null : num(o.exitCode),
    appId: str(o.appId),
    eventsFile: str(o.eventsFile),
    eventLogDir: str(o.eventLogDir),
    commandLine: str(o.commandLine) ?? '',
  };
}

/**
 * The records of a history file, oldest first: the last line of each id wins; lines that are not
 * records (a torn write, a hand edit) are skipped.
 */
export function parseHistory(text: string): RunHistoryRecord[] {
  const byId = new Map<string, RunHistoryRecord>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    const r = parseRecord(v);
    if (r) {
      byId.delete(r.id);
      byId.set(r.id, r);
    }
  }
  return [...byId.values()].sort((a, b) => a.startedAt - b.startedAt);
}

/** The records to keep: started within `days` of `nowMs`, the newest `max` of them, oldest first. */
export function keptHistory(records: readonly RunHistoryRecord[], nowMs: number, days: number, max = HISTORY_MAX_RUNS): RunHistoryRecord[] {
  const cutoff = nowMs - days * DAY_MS;
  const recent = records.filter((r) => r.startedAt >= cutoff).sort((a, b) => a.startedAt - b.startedAt);
  return recent.slice(Math.max(0, recent.length - max));
}

/**
 * A run of `file` and the run of the same file before it, both with their application known:
 * the run of application `appId` when given, else the newest one.
 */
export function previousRunPair(records: readonly RunHistoryRecord[], file: string, appId?: string): { previous: RunHistoryRecord; current: RunHistoryRecord } | undefined {
  const runs = records.filter((r) => r.file === file && r.appId).sort((a, b) => b.startedAt - a.startedAt);
  const i = appId ? runs.findIndex((r) => r.appId === appId) : 0;
  if (i < 0 || i + 1 >= runs.length) return undefined;
  return { current: runs[i], previous: runs[i + 1] };
}

/** What identifies an application in the store, for finding the run that started it. */
export interface AppIdentity {
  readonly id: string;
  /** The serving source's URL (a live driver's UI). */
  readonly sourceUrl?: string;
  readonly startTime?: number;
}

/**
 * The run that started an application: the one with its id; else a run that has not ended whose
 * driver UI is the application's source and which started before it (a port is reused by later
 * applications, so an ended run never matches by port).
 */
export function runForApplication<R extends RunHistoryRecord>(records: readonly R[], app: AppIdentity): R | undefined {
  const byId = records.find((r) => r.appId === app.id);
  if (byId) return byId;
  const at = hostPort(app.sourceUrl);
  if (!at) return undefined;
  return [...records]
    .sort((a, b) => b.startedAt - a.startedAt)
    .find((r) => !r.appId && r.endedAt === undefined && hostPort(r.boundUiUrl ?? r.uiUrl) === at && (app.startTime === undefined || app.startTime >= r.startedAt - START_SLACK_MS));
}
