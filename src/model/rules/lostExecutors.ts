/**
 * Lost executors: executors removed while the application ran, for reasons other than the
 * application letting them go. One finding for all of them, at the level of the worst reason.
 */
import { firstLine, removalKind, type RemovalKind } from './reasons';
import { plural, SEVERITY_RANK, type Finding, type FindingSeverity, type Rule } from './types';

const LEVEL: Readonly<Record<Exclude<RemovalKind, 'release'>, FindingSeverity>> = { decommission: 'information', lost: 'warning', memory: 'error' };

export const lostExecutorsRule: Rule = {
  doc: {
    id: 'lostExecutors',
    title: 'Lost executors',
    scope: 'application',
    what: '`/allexecutors` entries other than the driver with `isActive` false, by `removeReason`; removals after the application ended are ignored',
    levels: {
      information: 'decommissioned ("Executor decommission: …") or preempted (YARN)',
      warning: 'any other reason: "Remote RPC client disassociated…", "Executor heartbeat timed out…", "worker lost…", "Command exited with code N", "The executor with id N exited with exit code C"; or an executor lost while a stage failed',
      error: 'killed for memory: YARN "exceeding physical memory limits", exit code 137 or 52, OutOfMemoryError',
    },
    sources:
      'Spark\'s own texts: `ExecutorLossReason.scala` L47, L88; `CoarseGrainedSchedulerBackend.scala` L406; `HeartbeatReceiver.scala` L236; `Master.scala` L1099; `ExecutorRunner.scala` L201; Kubernetes `ExecutorPodsLifecycleManager.scala` L272; YARN strings from the 4.3.0 `YarnAllocator` class',
    differs:
      'Neither DataFlint nor Dr. Elephant has this rule. Normal releases ("Executor killed by driver.", YARN "… exited from explicit termination request.") say nothing: without that list the real dynamic-allocation 3.1.1 log would give six false findings',
    tryText: 'For memory kills `spark.executor.memoryOverhead` / `spark.executor.memory`; otherwise the executor\'s log and the failed tasks\' errors',
  },
  run(input) {
    const end = input.app?.endTime;
    const lost = (input.executors ?? []).filter((e) =>
      e.id !== 'driver' && !e.isActive && removalKind(e.removeReason) !== 'release' && !(end !== undefined && e.removeTime !== undefined && e.removeTime > end));
    if (lost.length === 0) return [];
    let severity: FindingSeverity = 'information';
    const byReason = new Map<string, string[]>();
    for (const e of lost) {
      const kind = removalKind(e.removeReason) as Exclude<RemovalKind, 'release'>;
      if (SEVERITY_RANK[LEVEL[kind]] < SEVERITY_RANK[severity]) severity = LEVEL[kind];
      const reason = firstLine(e.removeReason ?? 'no reason given', 100);
      byReason.set(reason, [...(byReason.get(reason) ?? []), e.id]);
    }
    // An executor lost while a stage failed: the loss cost the job.
    const failedStage = (input.stages ?? []).some((s) => s.status === 'FAILED');
    if (failedStage && severity === 'information') severity = 'warning';
    const reasons = [...byReason.entries()].map(([r, ids]) => `${plural(ids.length, 'executor')} (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}): "${r}"`);
    const f: Finding = {
      rule: 'lostExecutors',
      severity,
      message: `${plural(lost.length, 'executor was', 'executors were')} lost while the application ran: ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? `; ${reasons.length - 3} more reasons` : ''}`,
      executorId: lost[0].id,
      page: { page: 'executors' },
      figures: { lost: lost.length, reasons: byReason.size },
      suggestion: severity === 'error'
        ? 'Executors were killed for memory: raise spark.executor.memoryOverhead (container kills) or spark.executor.memory (OutOfMemoryError); see the failed tasks\' errors.'
        : 'See the executors page and the executor\'s own log for why it went away; tasks that ran there were retried elsewhere.',
    };
    return [f];
  },
};
