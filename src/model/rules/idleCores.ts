/**
 * Idle cores: task slots held but not used while jobs ran. Counted only inside job windows
 * (first submission to last completion of overlapping jobs), so a notebook that sits between
 * cells, or a job that holds its session after its work, is not "idle". Never the driver's row
 * in cluster mode; in local mode busy time is the stages' task time.
 */
import { formatDuration } from '../format';
import type { Executor, Job, Stage } from '../types';
import { pct, plural, taskExecutors, type Finding, type Rule } from './types';
import { SMALL_TASKS } from './smallTasks';

const MIN = 60_000;

export const IDLE_CORES = {
  /** Idle share of the task slots: DataFlint's 50 %; 75 % is ours. */
  information: 0.5,
  warning: 0.75,
  /** Job time at least this long: 60 s (ours) and 5 min (Dr. Elephant's significant run time). */
  infoMinJobTimeMs: MIN,
  warnMinJobTimeMs: 5 * MIN,
  minSlots: 2,
} as const;

type Window = readonly [number, number];

/** The union of the jobs' windows (submission → completion, or `now` while running), sorted, merged. */
export function jobWindows(jobs: readonly Job[], now: number | undefined): Window[] {
  const raw: [number, number][] = [];
  for (const j of jobs) {
    if (j.submissionTime === undefined) continue;
    const end = j.completionTime ?? (j.status === 'RUNNING' ? now : undefined);
    if (end !== undefined && end > j.submissionTime) raw.push([j.submissionTime, end]);
  }
  raw.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const w of raw) {
    const last = out[out.length - 1];
    if (last && w[0] <= last[1]) last[1] = Math.max(last[1], w[1]);
    else out.push([w[0], w[1]]);
  }
  return out;
}

/** How much of [from, to] lies inside the windows. */
function overlap(windows: readonly Window[], from: number, to: number): number {
  let t = 0;
  for (const [a, b] of windows) t += Math.max(0, Math.min(b, to) - Math.max(a, from));
  return t;
}

/** Busy and available slot-time inside the job windows; undefined when the figures cannot say. */
export function slotUse(executors: readonly Executor[], stages: readonly Stage[], windows: readonly Window[], appEnd: number | undefined): { busyMs: number; capacityMs: number; slots: number } | undefined {
  const jobTime = windows.reduce((s, [a, b]) => s + (b - a), 0);
  if (jobTime <= 0) return undefined;
  const { list, local } = taskExecutors(executors);
  if (local) {
    // The driver runs the tasks: its row's totalDuration is the application's uptime, so busy
    // time is the stages' task time; ≤ 1.4 logs report its slots as 0 (then nothing is said).
    const slots = list[0]?.maxTasks || list[0]?.totalCores || 0;
    if (slots <= 0) return undefined;
    return { busyMs: stages.reduce((s, x) => s + x.executorRunTimeMs, 0), capacityMs: slots * jobTime, slots };
  }
  let capacity = 0;
  let busy = 0;
  let slots = 0;
  for (const e of list) {
    const from = e.addTime ?? windows[0][0];
    const to = e.removeTime ?? appEnd ?? windows[windows.length - 1][1];
    const held = overlap(windows, from, to);
    capacity += e.maxTasks * held;
    busy += e.totalDurationMs;
    // Slots that were there while jobs ran (dynamic allocation adds and removes them).
    if (held > 0) slots += e.maxTasks;
  }
  return capacity > 0 ? { busyMs: busy, capacityMs: capacity, slots } : undefined;
}

export const idleCoresRule: Rule = {
  doc: {
    id: 'idleCores',
    title: 'Idle cores',
    scope: 'application',
    what: 'idle = 1 − busy / capacity inside job windows (`/jobs` submission → completion). Capacity = Σ `maxTasks` × lifetime (`addTime` → `removeTime` or the end) within the windows, busy = Σ `totalDuration`, executors other than the driver. Local mode: busy = Σ stage `executorRunTime`, capacity = driver slots × job time',
    levels: { information: '> 50 % with job time ≥ 60 s', warning: '> 75 % with job time ≥ 5 min' },
    sources: 'DataFlint `ExecutorsReducer.ts` L29-33, `StatusReducer.ts` L94-124, alert at > 50 % (`WastedCoresAlertsReducer.ts` L3, L12). 5 min: Dr. Elephant\'s significant run time',
    differs:
      'DataFlint reads the driver row in local mode, whose totalDuration is the uptime: ≈ 1 − 1/cores, a false alert on any local run with ≥ 3 cores (87.5 % on the real 8-core 3.3 log), and 100 % on ≤ 1.4 logs (driver slots 0). It also counts time between jobs (a notebook between cells, a session held after its work). Dr. Elephant has no idle-core rule',
    tryText: 'Fewer executors or cores (`spark.executor.instances`, `spark.cores.max`), dynamic allocation; more partitions when a stage has fewer tasks than slots',
  },
  run(input) {
    const jobs = input.jobs ?? [];
    const windows = jobWindows(jobs, input.now);
    const jobTime = windows.reduce((s, [a, b]) => s + (b - a), 0);
    if (jobTime < IDLE_CORES.infoMinJobTimeMs) return [];
    const use = slotUse(input.executors ?? [], input.stages ?? [], windows, input.app?.endTime ?? input.now);
    if (!use || use.slots < IDLE_CORES.minSlots) return [];
    const idle = 1 - Math.min(1, use.busyMs / use.capacityMs);
    const severity = idle > IDLE_CORES.warning && jobTime >= IDLE_CORES.warnMinJobTimeMs ? 'warning' : idle > IDLE_CORES.information ? 'information' : undefined;
    if (!severity) return [];
    const narrow = (input.stages ?? []).filter((s) => s.status === 'COMPLETE' && s.numTasks < use.slots).length;
    const f: Finding = {
      rule: 'idleCores',
      severity,
      message:
        `${pct(idle)} of the task slots were idle while jobs ran (${formatDuration(use.busyMs)} of tasks in ${formatDuration(use.capacityMs)} of ${plural(use.slots, 'slot')} over ${formatDuration(jobTime)} of jobs)` +
        (narrow > 0 ? `; ${plural(narrow, 'stage')} had fewer tasks than slots` : ''),
      page: { page: 'executors' },
      figures: { idleShare: idle, busyMs: use.busyMs, capacityMs: use.capacityMs, slots: use.slots, jobTimeMs: jobTime },
      suggestion:
        'Ask for fewer cores (spark.executor.instances, spark.cores.max, local[N]) or let dynamic allocation release them (spark.dynamicAllocation.enabled); ' +
        `when stages have fewer tasks than slots, give them more partitions (2-${SMALL_TASKS.tasksPerCore} per slot).`,
    };
    return [f];
  },
};
