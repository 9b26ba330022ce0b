/**
 * One poll of one source: what it lists. A driver and a History Server list applications (the
 * History Server's running ones and its most recent finished ones), a Master its workers and
 * applications, Prometheus the applications it has executor series for and its firing alerts.
 */
import { HttpClient } from '../sources/http';
import { SparkRestClient } from '../sources/sparkRest';
import { SparkMasterClient } from '../sources/sparkMaster';
import { Alert, PrometheusClient } from '../sources/prometheus';
import type { Application, MasterStatus, SourceKind } from '../model/types';

export interface SourceReading {
  readonly apps: readonly Application[];
  readonly master?: MasterStatus;
  readonly prometheusApps: readonly { id: string; name: string; executors: number }[];
  /** Undefined: not read this time (keep the last good ones). */
  readonly alerts?: readonly Alert[];
}

export async function readSource(kind: SourceKind, http: HttpClient, historyMaxApplications: number, signal: AbortSignal): Promise<SourceReading> {
  switch (kind) {
    case 'driver':
      return { apps: await new SparkRestClient(http).applications({}, signal), prometheusApps: [] };
    case 'history': {
      const rest = new SparkRestClient(http);
      // Running ones (in-progress event logs) and the most recent finished ones.
      const [running, done] = await Promise.all([
        rest.applications({ status: 'running' }, signal),
        rest.applications({ status: 'completed', limit: historyMaxApplications }, signal),
      ]);
      return { apps: [...running, ...done], prometheusApps: [] };
    }
    case 'master':
      return { master: await new SparkMasterClient(http).status(signal), apps: [], prometheusApps: [] };
    case 'prometheus': {
      const prom = new PrometheusClient(http);
      // One cheap instant query: every application Prometheus scrapes executor metrics for;
      // and its firing alerts (a Prometheus without rules answers an empty list; a failure
      // here keeps the last good alerts and does not fail the source).
      const [r, alerts] = await Promise.all([
        prom.query('count by (application_id, application_name) (metrics_executor_totalCores)', undefined, signal),
        prom.alerts(signal).catch((e: unknown) => {
          if (signal.aborted) throw e;
          return undefined;
        }),
      ]);
      return {
        apps: [],
        alerts,
        prometheusApps: r.series
          .filter((s) => s.labels.application_id)
          .map((s) => ({ id: s.labels.application_id, name: s.labels.application_name ?? '', executors: s.samples[0]?.v ?? 0 })),
      };
    }
  }
}
