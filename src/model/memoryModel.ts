/**
 * Spark's unified memory model, in numbers, for a lens hover and for sizing rules.
 *
 * Since Spark 1.6 (UnifiedMemoryManager): 300 MiB of the heap is reserved; of the rest,
 * `spark.memory.fraction` (0.6) is shared by execution and storage, and
 * `spark.memory.storageFraction` (0.5) of that is the storage region execution cannot evict.
 * Execution may evict cached blocks above that line (LRU). Containers (YARN, Kubernetes) also
 * get `spark.executor.memoryOverhead` on top of the heap.
 */

const KIB = 1024;
const MIB = 1024 * KIB;

/** Memory the JVM keeps out of Spark's reach (`RESERVED_SYSTEM_MEMORY_BYTES`). */
export const RESERVED_MEMORY_BYTES = 300 * MIB;
export const DEFAULT_MEMORY_FRACTION = 0.6;
export const DEFAULT_STORAGE_FRACTION = 0.5;
/** `spark.executor.memory` / `spark.driver.memory` when unset. */
export const DEFAULT_HEAP_BYTES = 1024 * MIB;
/** Smallest overhead Spark grants a container (`spark.executor.minMemoryOverhead` from 4.0). */
export const MIN_OVERHEAD_BYTES = 384 * MIB;
export const DEFAULT_OVERHEAD_FACTOR = 0.1;

const UNITS: Readonly<Record<string, number>> = {
  b: 1, k: KIB, kb: KIB, m: MIB, mb: MIB, g: 1024 * MIB, gb: 1024 * MIB,
  t: 1024 * 1024 * MIB, tb: 1024 * 1024 * MIB, p: 1024 * 1024 * 1024 * MIB, pb: 1024 * 1024 * 1024 * MIB,
};

export type SizeUnit = 'b' | 'k' | 'm' | 'g';

/**
 * Parses a Spark size string (`512m`, `1g`, `2048k`, `1t`, `1073741824`) into bytes. Units are
 * binary and case-insensitive, as in Spark's `JavaUtils.byteStringAs`. A plain number takes
 * `defaultUnit`: Spark reads `spark.executor.memory=512` as 512 MiB, so memory settings pass
 * `'m'`. Fractions (`1.5g`) are refused by Spark and here: undefined.
 */
export function parseSparkSize(text: string | undefined, defaultUnit: SizeUnit = 'b'): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+)\s*([a-zA-Z]{0,2})\s*$/.exec(text);
  if (!m) return undefined;
  const unit = m[2] === '' ? defaultUnit : m[2].toLowerCase();
  const factor = UNITS[unit];
  return factor === undefined ? undefined : Number(m[1]) * factor;
}

function fraction(props: Readonly<Record<string, string>>, key: string, dflt: number): number {
  const raw = props[key];
  if (raw === undefined) return dflt;
  const v = Number(raw);
  return Number.isFinite(v) && v >= 0 && v <= 1 ? v : dflt;
}

/** The numbers of the unified memory model for one JVM (an executor or the driver). */
export interface MemoryModel {
  /** The configured heap (`spark.executor.memory` or `spark.driver.memory`). */
  readonly heapBytes: number;
  readonly reservedBytes: number;
  readonly memoryFraction: number;
  readonly storageFraction: number;
  /**
   * (heap − reserved) × memoryFraction, or the executor's reported `maxMemory` when given: the
   * JVM's usable heap is smaller than -Xmx (a survivor space is left out), so 1g reports about
   * 366 MiB, not the 434 MiB the formula gives; the reported figure is the true one.
   */
  readonly unifiedBytes: number;
  /** unified × storageFraction: cached blocks below this line are safe from execution. */
  readonly storageRegionBytes: number;
  /** unified − storageRegion: what execution has before it starts evicting. */
  readonly executionRegionBytes: number;
  /** Whether unifiedBytes came from the reported maxMemory. */
  readonly fromReportedMax: boolean;
}

/**
 * The memory model of an executor or the driver from `/environment`'s Spark properties.
 * `reportedMaxMemory` (an executor's `maxMemory` from the REST API) replaces the computed
 * unified size when known.
 */
export function memoryModel(
  props: Readonly<Record<string, string>>,
  role: 'executor' | 'driver' = 'executor',
  reportedMaxMemory?: number,
): MemoryModel {
  const heapBytes = parseSparkSize(props[`spark.${role}.memory`], 'm') ?? DEFAULT_HEAP_BYTES;
  const memoryFraction = fraction(props, 'spark.memory.fraction', DEFAULT_MEMORY_FRACTION);
  const storageFraction = fraction(props, 'spark.memory.storageFraction', DEFAULT_STORAGE_FRACTION);
  const fromReportedMax = reportedMaxMemory !== undefined && reportedMaxMemory > 0;
  const unifiedBytes = fromReportedMax ? reportedMaxMemory : Math.max(0, heapBytes - RESERVED_MEMORY_BYTES) * memoryFraction;
  const storageRegionBytes = unifiedBytes * storageFraction;
  return {
    heapBytes, reservedBytes: RESERVED_MEMORY_BYTES, memoryFraction, storageFraction,
    unifiedBytes, storageRegionBytes, executionRegionBytes: unifiedBytes - storageRegionBytes, fromReportedMax,
  };
}

/** Cached bytes above the storage region, which execution may evict when it needs memory. */
export function evictableByExecution(cachedBytes: number, model: MemoryModel): number {
  return Math.max(0, cachedBytes - model.storageRegionBytes);
}

/**
 * `spark.executor.memoryOverhead`: the setting (MiB when unitless) or
 * max(minimum, factor × executor memory) with factor `spark.executor.memoryOverheadFactor`
 * (0.10; Spark on Kubernetes used 0.40 for non-JVM jobs before 3.3) and minimum
 * `spark.executor.minMemoryOverhead` (384 MiB).
 */
export function executorOverheadBytes(props: Readonly<Record<string, string>>): number {
  const set = parseSparkSize(props['spark.executor.memoryOverhead'], 'm');
  if (set !== undefined) return set;
  const heap = parseSparkSize(props['spark.executor.memory'], 'm') ?? DEFAULT_HEAP_BYTES;
  const factorRaw = Number(props['spark.executor.memoryOverheadFactor'] ?? props['spark.kubernetes.memoryOverheadFactor'] ?? DEFAULT_OVERHEAD_FACTOR);
  const factor = Number.isFinite(factorRaw) && factorRaw >= 0 ? factorRaw : DEFAULT_OVERHEAD_FACTOR;
  const min = parseSparkSize(props['spark.executor.minMemoryOverhead'], 'm') ?? MIN_OVERHEAD_BYTES;
  return Math.max(min, Math.floor(factor * heap));
}

/** What one executor asks of a node, and of what. */
export interface ExecutorFootprint {
  readonly heapBytes: number;
  readonly overheadBytes: number;
  /** `spark.executor.pyspark.memory`, requested on top when set. */
  readonly pysparkBytes: number;
  /** `spark.memory.offHeap.size` when `spark.memory.offHeap.enabled=true`. */
  readonly offHeapBytes: number;
  /** What a YARN or Kubernetes container for this executor requests. */
  readonly containerBytes: number;
  /** `spark.executor.cores`, when set (standalone defaults to all of a worker's cores, YARN to 1). */
  readonly cores?: number;
}

/** The memory and cores one executor needs, from the Spark properties. */
export function executorFootprint(props: Readonly<Record<string, string>>): ExecutorFootprint {
  const heapBytes = parseSparkSize(props['spark.executor.memory'], 'm') ?? DEFAULT_HEAP_BYTES;
  const overheadBytes = executorOverheadBytes(props);
  const pysparkBytes = parseSparkSize(props['spark.executor.pyspark.memory'], 'm') ?? 0;
  const offHeapOn = (props['spark.memory.offHeap.enabled'] ?? '').trim().toLowerCase() === 'true';
  const offHeapBytes = offHeapOn ? parseSparkSize(props['spark.memory.offHeap.size'], 'b') ?? 0 : 0;
  const coresRaw = props['spark.executor.cores'];
  const cores = coresRaw !== undefined && /^\s*\d+\s*$/.test(coresRaw) ? Number(coresRaw) : undefined;
  const footprint = { heapBytes, overheadBytes, pysparkBytes, offHeapBytes, containerBytes: heapBytes + overheadBytes + pysparkBytes + offHeapBytes };
  return cores !== undefined ? { ...footprint, cores } : footprint;
}
