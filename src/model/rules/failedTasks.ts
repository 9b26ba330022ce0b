/**
 * Failed tasks: task attempts that failed in a stage, by their share of the stage's attempts
 * (failures can exceed numTasks through retries) and by what the errors say. Killed attempts
 * (speculation's losers) are not failures. An error only when the stage itself failed.
 */
import { formatCount } from '../format';
import { grade, pct, plural, stageBase, stageKey, stageLabel, type Finding, type Rule } from './types';
import { firstLine, isMemoryKill, isUnrelatedExecutorLoss } from './reasons';

export const FAILED_TASKS = {
  /** failed / (complete + failed): Dr. Elephant's SEVERE (customSHSWork 0.05/0.1/0.15/0.2). */
  warning: 0.15,
} as const;

export const failedTasksRule: Rule = {
  doc: {
    id: 'failedTasks',
    title: 'Failed tasks',
    scope: 'stage',
    what: 'rate = `numFailedTasks` / (`numCompleteTasks` + `numFailedTasks`); errors from `taskList?status=FAILED` (`errorMessage`) and `failureReason`',
    levels: {
      information: 'rate < 15 % in a stage that completed, or only `ExecutorLostFailure (… exited unrelated to the running tasks)`',
      warning: 'rate ≥ 15 %, or an OutOfMemoryError / container-kill error',
      error: 'the stage failed (`status` FAILED)',
    },
    sources: 'Dr. Elephant customSHSWork 0.05/0.1/0.15/0.2 (`ConfigurationHeuristicsConstants.scala` L129-130), stage FAILED → CRITICAL (`StagesAnalyzer.scala` L406-415); master\'s rate formula `StagesHeuristic.scala` L186-192. `ExecutorLostFailure` text: `TaskEndReason.scala` L261-273',
    differs: 'The previous rule warned on any failure. Dr. Elephant\'s levels below 15 % are information here: a retried task that then succeeds is worth knowing, not a warning. DataFlint has no failed-task alert',
    tryText: 'The stage page in the Spark UI for the errors; memory errors as under "Executor memory too low"',
  },
  run(input) {
    const out: Finding[] = [];
    for (const s of input.stages ?? []) {
      if (!(s.numFailedTasks > 0)) continue;
      const rate = s.numFailedTasks / (s.numCompleteTasks + s.numFailedTasks);
      const errors = input.taskFailures?.get(stageKey(s)) ?? [];
      const memory = errors.some((t) => isMemoryKill(t.errorMessage)) || isMemoryKill(s.failureReason);
      const unrelated = errors.length > 0 && errors.every((t) => isUnrelatedExecutorLoss(t.errorMessage));
      const severity =
        s.status === 'FAILED'
          ? 'error'
          : unrelated
            ? 'information'
            : memory
              ? 'warning'
              : (grade(rate, [['warning', FAILED_TASKS.warning]]) ?? 'information');
      const example = errors.find((t) => isMemoryKill(t.errorMessage)) ?? errors[0];
      const why = s.status === 'FAILED' && s.failureReason ? s.failureReason : example?.errorMessage;
      out.push({
        rule: 'failedTasks',
        severity,
        message:
          `${stageLabel(s)} had ${plural(s.numFailedTasks, 'failed task attempt')} (${pct(rate)} of ${formatCount(s.numCompleteTasks + s.numFailedTasks)})` +
          `${s.status === 'FAILED' ? ' and failed' : ''}${why ? `: "${firstLine(why)}"` : ''}`,
        ...stageBase(s),
        figures: { numFailedTasks: s.numFailedTasks, numCompleteTasks: s.numCompleteTasks, numTasks: s.numTasks, failureRate: rate },
        suggestion: memory
          ? 'Tasks ran out of memory: raise spark.executor.memory (heap) or spark.executor.memoryOverhead (container), or give each task less data (more partitions).'
          : unrelated
            ? 'Their executor went away for reasons outside the tasks: see "lost executors" and the executors page.'
            : 'Open the stage in the Spark UI for the task errors; a retried task that succeeded may still hide a flaky input or an unreliable node.',
      });
    }
    return out;
  },
};
