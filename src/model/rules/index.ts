/**
 * The finding rules (F6), each in its own file with its thresholds and its documentation, and
 * what runs them: every enabled rule over what is known of an application, errors first; which
 * stage attempts need a task summary or their failed tasks read; the README's rules table.
 */
import { executorSizingRule } from './executorSizing';
import { failedTasksRule } from './failedTasks';
import { gcPressureRule } from './gcPressure';
import { idleCoresRule } from './idleCores';
import { LARGE_PARTITIONS, largePartitionsRule } from './largePartitions';
import { lostExecutorsRule } from './lostExecutors';
import { memoryTooHighRule } from './memoryTooHigh';
import { memoryTooLowRule } from './memoryTooLow';
import { SKEW, skewRule } from './skew';
import { SMALL_TASKS, smallTasksRule } from './smallTasks';
import { spillRule } from './spill';
import { storageMemoryFullRule } from './storageMemoryFull';
import { isFinished, RULE_IDS, SEVERITY_RANK, stageMaxData, stageWallMs, type Finding, type Rule, type RuleId, type RuleInput } from './types';
import type { Stage } from '../types';

export * from './types';
export { SUMMARY_QUANTILES } from './skew';

/** Every rule, in the order of the README's table. */
export const RULES: readonly Rule[] = [
  skewRule,
  spillRule,
  gcPressureRule,
  smallTasksRule,
  largePartitionsRule,
  memoryTooHighRule,
  memoryTooLowRule,
  idleCoresRule,
  executorSizingRule,
  failedTasksRule,
  lostExecutorsRule,
  storageMemoryFullRule,
];

/** The rule ids a setting names, known ones only. */
export function parseDisabledRules(raw: unknown): RuleId[] {
  if (!Array.isArray(raw)) return [];
  return [...new Set(raw.filter((x): x is RuleId => typeof x === 'string' && (RULE_IDS as readonly string[]).includes(x)))];
}

/** Every enabled rule over what is known of an application, errors first, then by stage. */
export function allFindings(input: RuleInput, disabled: readonly RuleId[] = []): Finding[] {
  const off = new Set(disabled);
  const out: Finding[] = [];
  for (const r of RULES) if (!off.has(r.doc.id)) out.push(...r.run(input));
  return out.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || (a.stageId ?? -1) - (b.stageId ?? -1));
}

/**
 * Whether a stage attempt's task summary is worth one request: finished (it no longer changes,
 * so it is read once), two or more tasks, and long enough for skew (a slowest task of 5 s) or
 * small tasks (10 s of wall time), or big enough for a large partition (more than 256 MiB in all).
 */
export function needsTaskSummary(stage: Stage): boolean {
  if (!isFinished(stage) || stage.numTasks < 1) return false;
  const wall = stageWallMs(stage);
  const skew = stage.numTasks >= 2 && stage.executorRunTimeMs >= SKEW.minMaxTaskMs && (wall === undefined || wall >= SKEW.minMaxTaskMs);
  const small = stage.numTasks > 2 * SMALL_TASKS.tasksPerCore && wall !== undefined && wall >= SMALL_TASKS.minStageWallMs;
  const large = stageMaxData(stage) > LARGE_PARTITIONS.information;
  return skew || small || large;
}

/** Whether a finished stage attempt's failed tasks are worth one request (their errors grade the finding). */
export function needsTaskFailures(stage: Stage): boolean {
  return isFinished(stage) && stage.numFailedTasks > 0;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README's rules table, generated from the rules' own documentation (a unit test compares them). */
export function rulesTableMarkdown(): string {
  const rows = [
    '| Rule (`id`) | What it measures | information | warning | error | Where the numbers come from | Where we differ from DataFlint, Dr. Elephant and AQE, and why | What to try |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const { doc: d } of RULES) {
    rows.push(
      `| **${d.title}** (\`${d.id}\`, per ${d.scope}) | ${cell(d.what)} | ${cell(d.levels.information ?? '—')} | ${cell(d.levels.warning ?? '—')} | ${cell(d.levels.error ?? '—')} | ${cell(d.sources)} | ${cell(d.differs)} | ${cell(d.tryText)} |`,
    );
  }
  return `${rows.join('\n')}\n`;
}
