/**
 * Executor sizes that cannot fit: an executor asks for more memory or cores than the largest
 * worker (standalone) or node (YARN, Kubernetes) offers, so it never starts and the job waits
 * ("Initial job has not accepted any resources"). Only the error: an executor that takes all of
 * a worker's cores is standalone's documented default (one executor per worker with all its
 * cores when spark.executor.cores is unset), not a problem.
 */
import { formatBytes } from '../format';
import { executorFootprint } from '../memoryModel';
import type { Finding, NodeCapacity, Rule } from './types';

const MiB = 1024 * 1024;

/** Kubernetes CPU quantities: `2`, `0.5`, `500m`. */
export function parseCpu(text: string | undefined): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)(m?)\s*$/.exec(text ?? '');
  if (!m) return undefined;
  const v = Number(m[1]) / (m[2] ? 1000 : 1);
  return v > 0 ? v : undefined;
}

interface Host {
  readonly cores: number;
  readonly memoryBytes: number;
}

function largest(hosts: readonly Host[]): Host {
  return { cores: Math.max(...hosts.map((h) => h.cores)), memoryBytes: Math.max(...hosts.map((h) => h.memoryBytes)) };
}

export const executorSizingRule: Rule = {
  doc: {
    id: 'executorSizing',
    title: 'Executor size cannot fit',
    scope: 'application',
    what:
      'Standalone: `spark.executor.memory` and `spark.executor.cores` against each alive worker (no overhead: `Master.canLaunch`). YARN/Kubernetes: container memory = heap + overhead (`spark.executor.memoryOverhead`, else max(factor × heap, 384 MiB); factor 0.1, 0.4 for Kubernetes PySpark cluster mode) + `spark.executor.pyspark.memory` + off-heap, and CPU = `spark.kubernetes.executor.request.cores` ?? `spark.executor.cores` against node allocatable',
    levels: { error: 'no worker or node offers that much memory and that many cores' },
    sources:
      '`ResourceProfile.scala` L498-505, L556-563; `BasicDriverFeatureStep.scala` L55-64, L170 (0.4 passed on to executors); `BasicExecutorFeatureStep.scala` L85-90; standalone `Master.scala` L755-757, L892-897, L907-916; "Initial job has not accepted any resources" `TaskSchedulerImpl.scala` L273',
    differs:
      'No warning level: the previous "takes all N cores of the largest worker" warning is gone, since that is standalone\'s documented default and impossible to follow on 1-core workers. DataFlint has nothing; Dr. Elephant flags large absolute sizes, not fit',
    tryText: 'Lower `spark.executor.memory`, `spark.executor.memoryOverhead` or `spark.executor.cores` so that an executor fits the largest worker or node',
  },
  run(input) {
    const props = input.props;
    if (!props) return [];
    const fp = executorFootprint(props);
    const out: Finding[] = [];
    const workers = (input.workers ?? []).filter((w) => w.alive).map((w) => ({ cores: w.cores, memoryBytes: w.memoryMb * MiB }));
    if (workers.length > 0) {
      // Unset cores: one executor per worker with all its free cores, which always fits a core.
      const cores = fp.cores ?? 1;
      if (!workers.some((w) => w.cores >= cores && w.memoryBytes >= fp.heapBytes)) {
        const big = largest(workers);
        out.push(finding('worker', cores, fp.heapBytes, 'spark.executor.memory', big, fp.cores !== undefined));
      }
    }
    const nodes: readonly NodeCapacity[] = input.nodes ?? [];
    if (nodes.length > 0) {
      const cores = parseCpu(props['spark.kubernetes.executor.request.cores']) ?? fp.cores ?? 1;
      if (!nodes.some((n) => n.cores >= cores && n.memoryBytes >= fp.containerBytes)) {
        out.push(finding('node', cores, fp.containerBytes, `heap ${formatBytes(fp.heapBytes)} + overhead ${formatBytes(fp.overheadBytes)}${fp.pysparkBytes ? ` + PySpark ${formatBytes(fp.pysparkBytes)}` : ''}${fp.offHeapBytes ? ` + off-heap ${formatBytes(fp.offHeapBytes)}` : ''}`, largest(nodes), true));
      }
    }
    return out;
  },
};

function finding(kind: 'worker' | 'node', cores: number, needBytes: number, what: string, big: Host, coresSet: boolean): Finding {
  const tooManyCores = cores > big.cores;
  const tooMuchMemory = needBytes > big.memoryBytes;
  const fix: string[] = [];
  if (tooMuchMemory) fix.push(`spark.executor.memory${kind === 'node' ? ' / spark.executor.memoryOverhead' : ''} so that ${formatBytes(needBytes)} fits in ${formatBytes(big.memoryBytes)}`);
  if (tooManyCores) fix.push(`spark.executor.cores to at most ${Math.floor(big.cores)}`);
  return {
    rule: 'executorSizing',
    severity: 'error',
    message:
      `An executor needs ${coresSet || tooManyCores ? `${cores} cores and ` : ''}${formatBytes(needBytes)} (${what}); no ${kind} offers that ` +
      `(largest: ${big.cores} cores, ${formatBytes(big.memoryBytes)}), so executors cannot start`,
    page: { page: 'environment' },
    figures: { executorCores: cores, executorMemoryBytes: needBytes, largestCores: big.cores, largestMemoryBytes: big.memoryBytes },
    suggestion: `Lower ${fix.join(', and ') || 'the executor size'}.`,
  };
}
