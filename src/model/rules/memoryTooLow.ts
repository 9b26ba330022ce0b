/**
 * Executor memory too low: evidence, not the heap peak alone. A used heap includes garbage not
 * yet collected and reaches -Xmx before every full collection, so "peak ≥ 95 %" by itself trips
 * on healthy jobs; it counts here only with GC or spill beside it. An error needs the JVM or its
 * container to have run out: OutOfMemoryError in a task, exit code 52, a container killed for
 * memory.
 */
import { formatBytes } from '../format';
import { DEFAULT_HEAP_BYTES, parseSparkSize } from '../memoryModel';
import type { Finding as F, Rule } from './types';
import { pct, plural, stageBase, stageKey, stageMaxData, taskExecutors, type Finding } from './types';
import { firstLine, isMemoryKill, removalKind } from './reasons';
import { GC } from './gcPressure';
import { SPILL } from './spill';

export const MEMORY_TOO_LOW = {
  /** Peak JVM heap at this share of the configured heap (DataFlint's "Under-Provisioned"). */
  heapShare: 0.95,
  /** With it, GC above 10 % (information) or ≥ 15 % / spill ratio ≥ 0.25 (warning). */
  infoGcShare: GC.information,
  warnGcShare: GC.warning,
  warnSpillRatio: SPILL.warning,
} as const;

const HEAP_TRY = 'Give each task more heap: raise spark.executor.memory (driver memory in local mode), lower spark.executor.cores, or lower spark.memory.fraction use (cache less).';
const CONTAINER_TRY = 'The container was killed for memory outside the heap: raise spark.executor.memoryOverhead (and spark.executor.pyspark.memory for Python workers).';

export const memoryTooLowRule: Rule = {
  doc: {
    id: 'memoryTooLow',
    title: 'Executor memory too low',
    scope: 'application',
    what: 'Evidence of too little memory: task errors (`taskList?status=FAILED` `errorMessage`, a FAILED stage\'s `failureReason`), executor `removeReason`, peak `JVMHeapMemory` against the configured heap with GC and spill',
    levels: {
      information: 'peak heap ≥ 95 % of the heap and GC > 10 %',
      warning: 'peak heap ≥ 95 % and GC ≥ 15 % or a stage spill ratio ≥ 0.25',
      error: '`java.lang.OutOfMemoryError` in a task, exit code 52, or a container killed for memory (YARN "exceeding physical memory limits", exit 137)',
    },
    sources:
      'DataFlint `MemoryAlertsReducer.ts` L5, L7, L38-57 (> 95 % heap: error "Under-Provisioned"). Dr. Elephant `StagesWithFailedTasksHeuristic.scala` L64-66 (OutOfMemoryError, "killed by YARN for exceeding memory limits"), L112-127. `SparkExitCode.OOM` = 52; Kubernetes exit 137 text in `ExecutorPodsLifecycleManager.scala` L272-317',
    differs:
      'DataFlint\'s lone 95 % test fires on healthy jobs (used heap includes uncollected garbage); we need GC or spill beside it. The OOM and container-kill logic is Dr. Elephant\'s',
    tryText: 'Heap OOM: `spark.executor.memory` up, fewer cores, less caching. Container kill: `spark.executor.memoryOverhead` (+ `spark.executor.pyspark.memory`)',
  },
  run(input) {
    const stages = input.stages ?? [];
    // Errors: OOM in task errors or a failed stage's reason; memory kills of executors.
    const oomStages = stages.filter((s) =>
      (input.taskFailures?.get(stageKey(s)) ?? []).some((t) => isMemoryKill(t.errorMessage)) || isMemoryKill(s.failureReason));
    const killed = (input.executors ?? []).filter((e) => e.id !== 'driver' && e.removeReason !== undefined && removalKind(e.removeReason) === 'memory');
    if (oomStages.length > 0 || killed.length > 0) {
      const first = oomStages[0];
      const text = first
        ? firstLine((input.taskFailures?.get(stageKey(first)) ?? []).find((t) => isMemoryKill(t.errorMessage))?.errorMessage ?? first.failureReason ?? '')
        : firstLine(killed[0].removeReason ?? '');
      const container = killed.some((e) => /exceeding|137|container/i.test(e.removeReason ?? '')) && oomStages.length === 0;
      const parts: string[] = [];
      if (oomStages.length > 0) parts.push(`tasks of ${plural(oomStages.length, 'stage')} (${oomStages.map((s) => s.stageId).join(', ')}) failed for memory`);
      if (killed.length > 0) parts.push(`${plural(killed.length, 'executor')} (${killed.slice(0, 5).map((e) => e.id).join(', ')}${killed.length > 5 ? ', …' : ''}) ${killed.length === 1 ? 'was' : 'were'} killed for memory`);
      const finding: Finding = {
        rule: 'memoryTooLow',
        severity: 'error',
        message: `Out of memory: ${parts.join('; ')}: "${text}"`,
        ...(first ? stageBase(first) : { page: { page: 'executors' as const } }),
        ...(killed[0] && !first ? { executorId: killed[0].id } : {}),
        figures: { stages: oomStages.length, executors: killed.length },
        suggestion: container ? CONTAINER_TRY : `${HEAP_TRY} ${CONTAINER_TRY.replace('The container was killed', 'If a container was killed')}`,
      };
      return [finding];
    }
    // Otherwise: a heap at its limit, with GC or spill beside it.
    const { list, local } = taskExecutors(input.executors ?? []);
    const props = input.props ?? {};
    const heap = parseSparkSize(props[local ? 'spark.driver.memory' : 'spark.executor.memory'], 'm') ?? DEFAULT_HEAP_BYTES;
    const full = list.filter((e) => e.totalTasks > 0 && (e.peak.jvmHeap ?? 0) >= MEMORY_TOO_LOW.heapShare * heap);
    if (full.length === 0) return [];
    const gcShare = local
      ? ratio(stages.reduce((s, x) => s + x.jvmGcTimeMs, 0), stages.reduce((s, x) => s + x.executorRunTimeMs, 0))
      : ratio(full.reduce((s, e) => s + e.totalGCTimeMs, 0), full.reduce((s, e) => s + e.totalDurationMs, 0));
    const spill = Math.max(0, ...stages.filter((s) => stageMaxData(s) > 0).map((s) => s.memoryBytesSpilled / stageMaxData(s)));
    const severity = gcShare >= MEMORY_TOO_LOW.warnGcShare || spill >= MEMORY_TOO_LOW.warnSpillRatio ? 'warning' : gcShare > MEMORY_TOO_LOW.infoGcShare ? 'information' : undefined;
    if (!severity) return [];
    const worst = full.reduce((a, b) => ((b.peak.jvmHeap ?? 0) > (a.peak.jvmHeap ?? 0) ? b : a));
    const f: F = {
      rule: 'memoryTooLow',
      severity,
      message:
        `${local ? 'The driver' : plural(full.length, 'executor')} reached ${pct((worst.peak.jvmHeap ?? 0) / heap)} of ${formatBytes(heap)} heap ` +
        `(peak ${formatBytes(worst.peak.jvmHeap)}${local ? '' : `, executor ${worst.id}`}) with ${pct(gcShare)} of task time in GC` +
        (spill >= MEMORY_TOO_LOW.warnSpillRatio ? ` and a stage spilling ${spill.toFixed(1)}× its data` : ''),
      executorId: worst.id,
      page: { page: 'executors' },
      figures: { heapBytes: heap, peakJvmHeapBytes: worst.peak.jvmHeap ?? 0, gcShare, maxSpillRatio: spill, executors: full.length },
      suggestion: HEAP_TRY,
    };
    return [f];
  },
};

function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}
