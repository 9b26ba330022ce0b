/**
 * Storage memory nearly full: cached blocks fill an executor's storage memory, so the next block
 * evicts an older one (LRU) or is not cached at all. A warning only with the evidence that data
 * did not fit: a cached dataset with fewer cached partitions than partitions.
 */
import { formatBytes } from '../format';
import { pct, plural, taskExecutors, type Finding, type Rule } from './types';
import type { CachedDataset } from '../types';

export const STORAGE_FULL = {
  /** memoryUsed / maxMemory of an active executor (ours). */
  information: 0.9,
} as const;

export const storageMemoryFullRule: Rule = {
  doc: {
    id: 'storageMemoryFull',
    title: 'Storage memory nearly full',
    scope: 'application',
    what: '`memoryUsed` / `maxMemory` of each active executor (the driver only in local mode); a cached dataset with `numCachedPartitions` < `numPartitions`',
    levels: { information: '> 90 % on an executor', warning: 'and a cached dataset is only partly cached' },
    sources: 'Ours: Spark evicts cached blocks (LRU) when storage memory is full (`MemoryStore`); the partly cached dataset is Spark\'s own count in `/storage/rdd`',
    differs: 'Neither DataFlint nor Dr. Elephant reports it. The previous rule warned at 90 % alone; a full storage region is harmless while everything fits, so the warning needs a dataset that did not',
    tryText: '`unpersist()` what is no longer needed, persist with `MEMORY_AND_DISK` or `DISK_ONLY`, or more memory (`spark.executor.memory`, `spark.memory.fraction`)',
  },
  run(input) {
    const { list } = taskExecutors((input.executors ?? []).filter((e) => e.isActive));
    let worst: { id: string; share: number; used: number; max: number } | undefined;
    let over = 0;
    for (const e of list) {
      if (!(e.maxMemory > 0)) continue;
      const share = e.memoryUsed / e.maxMemory;
      if (share <= STORAGE_FULL.information) continue;
      over++;
      if (!worst || share > worst.share) worst = { id: e.id, share, used: e.memoryUsed, max: e.maxMemory };
    }
    if (!worst) return [];
    const partial: CachedDataset[] = (input.cachedDatasets ?? []).filter((d) => d.numCachedPartitions > 0 && d.numCachedPartitions < d.numPartitions);
    const f: Finding = {
      rule: 'storageMemoryFull',
      severity: partial.length > 0 ? 'warning' : 'information',
      message:
        `${plural(over, 'executor')} ${over === 1 ? 'uses' : 'use'} more than 90 % of ${over === 1 ? 'its' : 'their'} storage memory; worst: executor ${worst.id}, ${pct(worst.share)} (${formatBytes(worst.used)} of ${formatBytes(worst.max)})` +
        (partial.length > 0 ? `; ${plural(partial.length, 'cached dataset')} did not fit (${partial[0].numCachedPartitions} of ${partial[0].numPartitions} partitions cached)` : ': new blocks evict cached ones'),
      executorId: worst.id,
      page: partial[0] ? { page: 'storage', rddId: partial[0].rddId } : { page: 'executors' },
      figures: { executorsOver: over, worstShare: worst.share, memoryUsed: worst.used, maxMemory: worst.max, partlyCached: partial.length },
      suggestion: 'unpersist() datasets no longer needed, persist with StorageLevel.MEMORY_AND_DISK or DISK_ONLY, or raise spark.executor.memory (or spark.memory.fraction).',
    };
    return [f];
  },
};
