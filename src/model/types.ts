/**
 * The project's own types. Every REST and Prometheus response is parsed once, in `sources/`,
 * into these; nothing downstream sees raw JSON. Optional fields are the ones Spark leaves out
 * of its JSON when they are empty (SPARK-FACTS.md), so "absent" and "zero" stay distinct.
 */
import type { ConnectSites } from './connectSites';

export type SourceKind = 'driver' | 'history' | 'master' | 'prometheus';

/** An endpoint the extension reads: from settings, or found on loopback by discovery. */
export interface SourceConfig {
  /** Stable key: the name for configured sources, `local:<kind>:<port>` for discovered ones. */
  readonly id: string;
  readonly name: string;
  /** Base URL, path kept (reverse proxies, YARN proxy, Kubernetes API proxy); no trailing slash. */
  readonly url: string;
  /** Undefined until detected by probing. */
  readonly kind?: SourceKind;
  readonly caFile?: string;
  /** `own`: a server the extension started itself (its own History Server). */
  readonly origin: 'settings' | 'discovered' | 'own';
  /** A Spark Connect server's connection string (secrets dropped), when the source is its driver UI. */
  readonly connect?: string;
}

export type ApplicationState = 'running' | 'completed';

export interface Application {
  readonly id: string;
  /** YARN cluster mode addresses an attempt as `{id}/{attemptId}`. */
  readonly attemptId?: string;
  readonly name: string;
  readonly state: ApplicationState;
  /** Epoch ms. */
  readonly startTime?: number;
  readonly endTime?: number;
  /** As Spark reports it; for running apps computed from startTime by whoever has a clock. */
  readonly durationMs?: number;
  /**
   * A running attempt's `duration` as Spark listed it: on a live driver, its own now − start,
   * which tells the driver's clock (model/driverClock.ts). Moves at every listing.
   */
  readonly runningForMs?: number;
  /**
   * When the attempt last changed (epoch ms): on a History Server, when its event log last
   * grew; the store's change detector for an application it serves.
   */
  readonly lastUpdated?: number;
  readonly sparkUser?: string;
  readonly sparkVersion?: string;
  /** Cores granted, where the source knows (standalone Master, executors' sum). */
  readonly cores?: number;
  /**
   * History Server 4.x: the event-log folder the attempt was read from (`logSourceFullPath`,
   * e.g. `file:///home/me/eventlog`); which folder a History Server reads.
   */
  readonly logSource?: string;
}

export interface PeakMemory {
  readonly jvmHeap?: number;
  readonly jvmOffHeap?: number;
  readonly onHeapExecution?: number;
  readonly onHeapStorage?: number;
  readonly offHeapExecution?: number;
  readonly offHeapStorage?: number;
  readonly pythonRss?: number;
  readonly minorGCTimeMs?: number;
  readonly majorGCTimeMs?: number;
}

export interface Executor {
  /** `driver` for the driver. */
  readonly id: string;
  readonly hostPort: string;
  readonly isActive: boolean;
  readonly totalCores: number;
  readonly maxTasks: number;
  readonly activeTasks: number;
  readonly failedTasks: number;
  readonly completedTasks: number;
  readonly totalTasks: number;
  /** Sum of task durations, ms. */
  readonly totalDurationMs: number;
  readonly totalGCTimeMs: number;
  /** Storage memory used: cached blocks and broadcasts, not heap. */
  readonly memoryUsed: number;
  /** Memory available for storage. */
  readonly maxMemory: number;
  readonly diskUsed: number;
  readonly totalInputBytes: number;
  readonly totalShuffleRead: number;
  readonly totalShuffleWrite: number;
  readonly rddBlocks: number;
  readonly addTime?: number;
  readonly removeTime?: number;
  readonly removeReason?: string;
  readonly peak: PeakMemory;
}

export type JobStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'UNKNOWN';

export interface Job {
  readonly jobId: number;
  readonly name: string;
  readonly description?: string;
  readonly status: JobStatus;
  readonly submissionTime?: number;
  readonly completionTime?: number;
  readonly stageIds: readonly number[];
  readonly jobGroup?: string;
  /**
   * Spark 3.5+: the job's tags. Under Spark Connect the operation's and the session's tags,
   * the client's own prefixed `SparkConnect_SessionTag_User_<user>_Session_<id>_Tag_<tag>`.
   */
  readonly jobTags?: readonly string[];
  readonly numTasks: number;
  readonly numActiveTasks: number;
  readonly numCompletedTasks: number;
  readonly numSkippedTasks: number;
  readonly numFailedTasks: number;
  readonly numActiveStages: number;
  readonly numCompletedStages: number;
  readonly numSkippedStages: number;
  readonly numFailedStages: number;
}

export type StageStatus = 'ACTIVE' | 'COMPLETE' | 'PENDING' | 'FAILED' | 'SKIPPED';

export interface Stage {
  readonly stageId: number;
  readonly attemptId: number;
  /** Short call site, e.g. `count at NativeMethodAccessorImpl.java:0` or `collect at /abs/job.py:27`. */
  readonly name: string;
  readonly description?: string;
  /** Long call site (a JVM stack). */
  readonly details?: string;
  readonly status: StageStatus;
  readonly numTasks: number;
  readonly numActiveTasks: number;
  readonly numCompleteTasks: number;
  readonly numFailedTasks: number;
  /** Attempts killed (speculation's losers, "another attempt succeeded"): not failures. Absent before Spark 2.3. */
  readonly numKilledTasks?: number;
  readonly submissionTime?: number;
  readonly completionTime?: number;
  /** Why a FAILED stage failed (the last task error for a task that failed too often); absent otherwise. */
  readonly failureReason?: string;
  readonly executorRunTimeMs: number;
  /** Spark reports CPU time in nanoseconds. */
  readonly executorCpuTimeNs: number;
  readonly jvmGcTimeMs: number;
  readonly memoryBytesSpilled: number;
  readonly diskBytesSpilled: number;
  readonly peakExecutionMemory: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly shuffleReadBytes: number;
  readonly shuffleWriteBytes: number;
  readonly rddIds: readonly number[];
}

export interface DatasetBlockLocation {
  readonly address: string;
  readonly memoryUsed: number;
  readonly memoryRemaining: number;
  readonly diskUsed: number;
}

/** An entry of `/storage/rdd`: what Spark calls an RDD storage info, what we call a cached dataset. */
export interface CachedDataset {
  readonly rddId: number;
  /** The plan text (cut to 1024 chars) for df.cache(), `In-memory table t`, a setName, or a class name. */
  readonly name: string;
  readonly numPartitions: number;
  readonly numCachedPartitions: number;
  /** Spark's text, e.g. `Disk Memory Deserialized 1x Replicated`. */
  readonly storageLevel: string;
  readonly memoryUsed: number;
  readonly diskUsed: number;
  readonly distribution: readonly DatasetBlockLocation[];
}

/** The few settings of `/environment` that explain memory and sizing, plus everything else raw. */
export interface SparkEnvironment {
  readonly sparkVersion?: string;
  readonly sparkProperties: Readonly<Record<string, string>>;
  readonly javaVersion?: string;
  readonly scalaVersion?: string;
}

export interface Worker {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly webUiAddress?: string;
  readonly cores: number;
  readonly coresUsed: number;
  readonly memoryMb: number;
  readonly memoryUsedMb: number;
  readonly state: string;
  readonly alive: boolean;
}

export interface MasterApplication {
  readonly id: string;
  readonly name: string;
  readonly cores: number;
  readonly memoryPerExecutorMb?: number;
  readonly startTime?: number;
  readonly durationMs?: number;
  readonly state: string;
  readonly user?: string;
}

/** A standalone Master's `/json`. */
export interface MasterStatus {
  readonly url: string;
  readonly status: string;
  readonly workers: readonly Worker[];
  readonly aliveWorkers: number;
  readonly cores: number;
  readonly coresUsed: number;
  readonly memoryMb: number;
  readonly memoryUsedMb: number;
  readonly activeApps: readonly MasterApplication[];
  readonly completedApps: readonly MasterApplication[];
}

/** Everything one poll of an application brings back; each part may be missing if its request failed. */
export interface ApplicationDetail {
  readonly executors?: readonly Executor[];
  readonly jobs?: readonly Job[];
  /**
   * Every stage attempt Spark still retains (one `/stages?details=false` request; the list is
   * bounded by spark.ui.retainedStages): the inline hints and findings need finished ones too.
   */
  readonly stages?: readonly Stage[];
  /** The ACTIVE ones of `stages`, for the tree. */
  readonly activeStages?: readonly Stage[];
  /**
   * Task-summary quantiles of finished stages long or big enough for a rule to read them (rules'
   * needsTaskSummary), by `${stageId}:${attemptId}`; fetched once per stage attempt and kept.
   */
  readonly taskSummaries?: ReadonlyMap<string, TaskSummary>;
  /**
   * Failed task attempts of finished stages that had any (their error text), by
   * `${stageId}:${attemptId}`; fetched once per stage attempt and kept.
   */
  readonly taskFailures?: ReadonlyMap<string, readonly TaskFailure[]>;
  readonly cachedDatasets?: readonly CachedDataset[];
  readonly environment?: SparkEnvironment;
  /** Present once resolveConnectSites ran over a Spark Connect application: what it could not map, and why. */
  readonly connect?: ConnectSites;
}

/**
 * A stage attempt's task-metric distribution, from
 * `/applications/{id}/stages/{stage}/{attempt}/taskSummary?quantiles=...`: each array is aligned
 * with `quantiles` (e.g. [0, 0.25, 0.5, 0.75, 1]). Times in ms, sizes in bytes. Spark nests the
 * I/O distributions (`inputMetrics.bytesRead`, `shuffleReadMetrics.readBytes`,
 * `shuffleWriteMetrics.writeBytes`); sources flatten them into the fields below.
 */
export interface TaskSummary {
  readonly quantiles: readonly number[];
  readonly duration: readonly number[];
  readonly executorRunTime: readonly number[];
  readonly jvmGcTime: readonly number[];
  readonly executorCpuTime?: readonly number[];
  readonly schedulerDelay?: readonly number[];
  readonly peakExecutionMemory?: readonly number[];
  readonly memoryBytesSpilled?: readonly number[];
  readonly diskBytesSpilled?: readonly number[];
  readonly inputBytes?: readonly number[];
  readonly shuffleReadBytes?: readonly number[];
  readonly shuffleWriteBytes?: readonly number[];
  readonly outputBytes?: readonly number[];
}

/** A failed task attempt from `/stages/{s}/{a}/taskList?status=FAILED`. */
export interface TaskFailure {
  readonly taskId: number;
  readonly attempt: number;
  readonly executorId: string;
  /** Spark's error text (an exception and its stack, or an ExecutorLostFailure reason), cut to a few KB; untrusted. */
  readonly errorMessage: string;
}
