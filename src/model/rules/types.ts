/**
 * What every finding rule shares: the finding itself, the rule's documentation (the README's
 * rules table is made of it, so the README, the messages and the tests agree), and what a rule
 * is given about an application.
 */
import { parseCallSite, type CallSite } from '../callSite';
import type { UiTarget } from '../uiLinks';
import type { Application, ApplicationDetail, Executor, Stage, TaskSummary, Worker } from '../types';

/** Every rule, by the id the `sparkObservatory.findings.disabledRules` setting names it. */
export const RULE_IDS = [
  'skew',
  'spill',
  'gcPressure',
  'smallTasks',
  'largePartitions',
  'memoryTooHigh',
  'memoryTooLow',
  'idleCores',
  'executorSizing',
  'failedTasks',
  'lostExecutors',
  'storageMemoryFull',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** Most severe first. */
export type FindingSeverity = 'error' | 'warning' | 'information';
export const SEVERITY_RANK: Readonly<Record<FindingSeverity, number>> = { error: 0, warning: 1, information: 2 };

export interface Finding {
  readonly rule: RuleId;
  readonly severity: FindingSeverity;
  /** Plain text; stage names and removal reasons inside are untrusted and must be rendered as text. */
  readonly message: string;
  /** The stage's `name` verbatim, when a stage caused it. */
  readonly callSite?: string;
  /** The parsed call site when it names a user's line; the view maps it to a document. */
  readonly site?: CallSite;
  readonly stageId?: number;
  readonly attemptId?: number;
  /** The executor a finding about one executor names (the worst one of an application-wide finding). */
  readonly executorId?: string;
  /** The Spark UI page that shows the evidence: the stage attempt, else the executors or environment page. */
  readonly page: UiTarget;
  /** The numbers behind the finding, in base units (ms, bytes, ratios 0–1, counts). */
  readonly figures: Readonly<Record<string, number>>;
  /** What to try. */
  readonly suggestion: string;
}

/** A machine executors can run on, from node metrics (Kubernetes allocatable, YARN NodeManager). */
export interface NodeCapacity {
  readonly name: string;
  readonly cores: number;
  readonly memoryBytes: number;
}

/**
 * Everything the rules may read of one application, each part possibly missing: the lists of its
 * detail (task summaries and failures as needsTaskSummary / needsTaskFailures chose them).
 */
export interface RuleInput extends Pick<ApplicationDetail, 'stages' | 'executors' | 'jobs' | 'taskSummaries' | 'taskFailures' | 'cachedDatasets'> {
  readonly app?: Pick<Application, 'startTime' | 'endTime' | 'state' | 'sparkVersion'>;
  /** The clock of whoever asks (model/ has none): the end of a running application's windows. */
  readonly now?: number;
  readonly props?: Readonly<Record<string, string>>;
  /** Standalone Master workers, when the application ran on that Master. */
  readonly workers?: readonly Worker[];
  /** Container nodes, when the application ran on YARN or Kubernetes. */
  readonly nodes?: readonly NodeCapacity[];
}

/** The documentation of one rule, one row of the README's table. */
export interface RuleDoc {
  readonly id: RuleId;
  readonly title: string;
  /** `stage` or `application`: what one finding is about. */
  readonly scope: 'stage' | 'application';
  /** The metric and its formula. */
  readonly what: string;
  /** The threshold of each level; a level the rule never gives is absent. */
  readonly levels: { readonly information?: string; readonly warning?: string; readonly error?: string };
  /** Where each number comes from. */
  readonly sources: string;
  /** Where we differ from DataFlint, Dr. Elephant and Spark's adaptive execution, and why. */
  readonly differs: string;
  /** What to try. */
  readonly tryText: string;
}

/** A rule: its documentation and the function from an application to its findings. */
export interface Rule {
  readonly doc: RuleDoc;
  readonly run: (input: RuleInput) => Finding[];
}

/** `Stage 3`, `Stage 3 (attempt 1)`. */
export function stageLabel(stage: Stage): string {
  return `Stage ${stage.stageId}${stage.attemptId > 0 ? ` (attempt ${stage.attemptId})` : ''}`;
}

/** The place, call site and page of a finding about one stage attempt. */
export function stageBase(stage: Stage): Pick<Finding, 'callSite' | 'site' | 'stageId' | 'attemptId' | 'page'> {
  const site = parseCallSite(stage.name);
  return {
    callSite: stage.name,
    ...(site ? { site } : {}),
    stageId: stage.stageId,
    attemptId: stage.attemptId,
    page: { page: 'stage', id: stage.stageId, attempt: stage.attemptId },
  };
}

/** `${stageId}:${attemptId}`: how task summaries and failures are keyed. */
export const stageKey = (s: Pick<Stage, 'stageId' | 'attemptId'>): string => `${s.stageId}:${s.attemptId}`;

/** A stage attempt's wall time (completion − submission), when both are known. */
export function stageWallMs(s: Stage): number | undefined {
  return s.submissionTime !== undefined && s.completionTime !== undefined ? Math.max(0, s.completionTime - s.submissionTime) : undefined;
}

/** Finished stage attempts: their figures no longer change. */
export const isFinished = (s: Stage): boolean => s.status === 'COMPLETE' || s.status === 'FAILED';

/** The largest data a stage handled: max(input, shuffle read, shuffle write, output), as Dr. Elephant's spill ratio divides by. */
export function stageMaxData(s: Stage): number {
  return Math.max(s.inputBytes, s.shuffleReadBytes, s.shuffleWriteBytes, s.outputBytes);
}

/**
 * The executors that run tasks: every one but the driver, or the driver alone in local mode,
 * where it is the only one. Never the driver when others exist: its row's totalDuration is the
 * application's uptime and its totalGCTime a JVM total (AppStatusStore.replaceExec), not task time.
 */
export function taskExecutors(executors: readonly Executor[]): { list: readonly Executor[]; local: boolean } {
  const others = executors.filter((e) => e.id !== 'driver');
  return others.length > 0 ? { list: others, local: false } : { list: executors, local: true };
}

/** The level a value reaches on a ladder of thresholds (inclusive), or undefined below the lowest. */
export function grade<L extends FindingSeverity>(value: number, ladder: readonly (readonly [L, number])[]): L | undefined {
  for (const [level, min] of ladder) if (value >= min) return level;
  return undefined;
}

/** `3 executors`, `1 executor`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** A ratio as a whole percent: `31 %`. */
export const pct = (r: number): string => `${Math.round(r * 100)} %`;

/** A ratio as `4.9×`. */
export const times = (r: number): string => (Number.isFinite(r) ? `${r >= 100 ? Math.round(r) : r.toFixed(1)}×` : '∞×');

/** The value at a quantile of a task summary, when it was asked for and reported. */
export function quantile(summary: TaskSummary, values: readonly number[] | undefined, q: number): number | undefined {
  if (!values) return undefined;
  const i = summary.quantiles.findIndex((x) => Math.abs(x - q) < 1e-9);
  return i >= 0 && i < values.length ? values[i] : undefined;
}

const TIME_UNITS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** A Spark time setting (`1s`, `500ms`, `10`: ms when unitless, as `spark.executor.metrics.pollingInterval` reads it) in ms. */
export function parseSparkTimeMs(text: string | undefined): number | undefined {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text ?? '');
  const unit = m ? TIME_UNITS[m[2].toLowerCase()] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : undefined;
}

export type { Worker };
