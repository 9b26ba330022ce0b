/** Builders of the model's types for the rule tests: Spark 4.x-shaped values, overridable field by field. */
import type { Executor, Job, Stage, TaskSummary, Worker } from '../../src/model/types';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const T0 = Date.parse('2026-11-21T07:00:00Z');

export function stage(p: Partial<Stage> & { stageId: number }): Stage {
  return {
    attemptId: 0, name: 'collect at /w/job.py:27', status: 'COMPLETE', numTasks: 8, numActiveTasks: 0, numCompleteTasks: 8,
    numFailedTasks: 0, executorRunTimeMs: 0, executorCpuTimeNs: 0, jvmGcTimeMs: 0, memoryBytesSpilled: 0, diskBytesSpilled: 0,
    peakExecutionMemory: 0, inputBytes: 0, outputBytes: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0, rddIds: [],
    submissionTime: T0, completionTime: T0 + 10_000, ...p,
  };
}

export function executor(p: Partial<Executor> & { id: string }): Executor {
  return {
    hostPort: '10.0.0.5:41234', isActive: true, totalCores: 4, maxTasks: 4, activeTasks: 0, failedTasks: 0, completedTasks: 0,
    totalTasks: 0, totalDurationMs: 0, totalGCTimeMs: 0, memoryUsed: 0, maxMemory: 2_101_248_000, diskUsed: 0, totalInputBytes: 0,
    totalShuffleRead: 0, totalShuffleWrite: 0, rddBlocks: 0, peak: {}, ...p,
  };
}

export function job(p: Partial<Job> & { jobId: number }): Job {
  return {
    name: 'collect at /w/job.py:27', status: 'SUCCEEDED', stageIds: [], numTasks: 0, numActiveTasks: 0, numCompletedTasks: 0, numSkippedTasks: 0,
    numFailedTasks: 0, numActiveStages: 0, numCompletedStages: 0, numSkippedStages: 0, numFailedStages: 0, ...p,
  };
}

/** Shaped like `taskSummary?quantiles=0.5,0.75,0.95,1.0`: run times (ms) and optional byte distributions. */
export function summary(runTime: number[], bytes: Partial<Pick<TaskSummary, 'shuffleReadBytes' | 'inputBytes' | 'shuffleWriteBytes' | 'outputBytes'>> = {}): TaskSummary {
  return { quantiles: [0.5, 0.75, 0.95, 1], duration: runTime.map((d) => d + 40), executorRunTime: runTime, jvmGcTime: [0, 0, 1, 40], ...bytes };
}

export function worker(id: string, cores: number, memoryMb: number, alive = true): Worker {
  return { id, host: '127.0.0.1', port: 7078, cores, coresUsed: 0, memoryMb, memoryUsedMb: 0, state: alive ? 'ALIVE' : 'DEAD', alive };
}
