/**
 * The driver's metrics servlet, `GET /metrics/json/` (on by default; the path without the
 * slash answers 301): a Dropwizard registry dump whose size does not grow with the number of
 * executors. Its gauges are named `<namespace>.driver.<source>.<name>` where the namespace is
 * the application id unless `spark.metrics.namespace` says otherwise, so they are matched by
 * suffix (one driver serves one application).
 *
 * It is the store's change detector for a live application (SPARK-FACTS.md, "Cheap summaries"):
 * BlockManager memory is in whole megabytes, so it tells that cached data changed, not how
 * much; DAGScheduler counts tell that jobs or stages started or ended.
 */
import { HttpClient } from './http';
import { asObject, isObject } from './parse';
import type { DriverSummary } from '../model/summary';

const GAUGES: ReadonlyMap<string, keyof DriverSummary> = new Map(Object.entries({
  'BlockManager.memory.memUsed_MB': 'storageMemoryUsedMb',
  'BlockManager.memory.maxMem_MB': 'storageMemoryMaxMb',
  'BlockManager.disk.diskSpaceUsed_MB': 'diskUsedMb',
  'DAGScheduler.job.allJobs': 'jobsAll',
  'DAGScheduler.job.activeJobs': 'jobsActive',
  'DAGScheduler.stage.runningStages': 'stagesRunning',
  'DAGScheduler.stage.waitingStages': 'stagesWaiting',
  'DAGScheduler.stage.failedStages': 'stagesFailed',
  // Counters of the appStatus source (on by default from Spark 4.0; off in 3.5): a stage that
  // ends while another starts leaves the DAGScheduler's gauges as they were, not these.
  'appStatus.stages.completedStages': 'stagesCompleted',
  'appStatus.stages.skippedStages': 'stagesSkipped',
} satisfies Record<string, keyof DriverSummary>)) as ReadonlyMap<string, keyof DriverSummary>;

/** Parses the servlet's JSON; undefined when it carries none of the gauges (not a Spark driver). */
export function parseDriverMetrics(body: unknown): DriverSummary | undefined {
  const o = asObject(body, 'metrics');
  const out: Record<string, number> = {};
  // Counters after gauges: a name in both takes the counter's, as before.
  for (const group of [o.gauges, o.counters]) {
    if (!isObject(group)) continue;
    for (const name in group) {
      const i = name.indexOf('.driver.');
      if (i < 0) continue;
      const field = GAUGES.get(name.slice(i + 8)); // 8: '.driver.'.length
      const g = group[name];
      if (!field || !isObject(g)) continue;
      const v = g.value ?? g.count;
      if (typeof v === 'number' && Number.isFinite(v)) out[field] = v;
    }
  }
  return Object.keys(out).length > 0 ? (out as DriverSummary) : undefined;
}

export class SparkMetricsClient {
  constructor(private readonly http: HttpClient) {}

  /** One small request whatever the cluster's size. */
  async driverSummary(signal?: AbortSignal): Promise<DriverSummary | undefined> {
    return parseDriverMetrics(await this.http.getJson('metrics/json/', { signal }));
  }
}
