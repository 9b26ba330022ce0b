/**
 * Which Prometheus alerts concern Spark, and which application each belongs to (F8).
 *
 * An alert concerns Spark when it is firing and either
 *  - its labels name a Spark application: `application_id` (the executor endpoint's label, kept by
 *    any rule that aggregates `by (application_id)`), `app_id`, `spark_app_selector` (the pod
 *    label Spark puts on Kubernetes drivers and executors, as kube-state-metrics exports it),
 *    `app_name` (kubeflow spark-operator's JMX rules) or `application_name`; or
 *  - its name starts with `Spark` (case-insensitive), the convention of the rules people write
 *    for Spark (and of scripts/prometheus-rules.yml), even when it aggregates the labels away.
 * Pending and inactive alerts are left out: the tree and the status bar show what fires.
 * An alert belongs to an application when one of its id labels equals the application's id,
 * else when a name label equals its name; Spark alerts that match no application are counted in
 * the status bar only.
 */

/** The fields of a Prometheus alert this module reads (sources/prometheus.ts's Alert has them). */
export interface AlertInput {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly state: string;
  readonly activeAt?: string;
  readonly value?: string;
}

export interface SparkAlert {
  readonly name: string;
  readonly severity?: string;
  /** The `summary` annotation, else `description`, else the alert name. Untrusted text. */
  readonly summary: string;
  readonly appId?: string;
  readonly appName?: string;
  readonly executorId?: string;
  readonly activeAt?: string;
  readonly value?: string;
  readonly labels: Readonly<Record<string, string>>;
}

const ID_LABELS = ['application_id', 'app_id', 'spark_app_selector', 'label_spark_app_selector'] as const;
const NAME_LABELS = ['app_name', 'application_name'] as const;

/** True when a firing alert concerns Spark (see the module comment for the rule). */
export function concernsSpark(a: AlertInput): boolean {
  if (a.state !== 'firing') return false;
  if (/^spark/i.test(a.labels.alertname ?? '')) return true;
  return [...ID_LABELS, ...NAME_LABELS].some((l) => !!a.labels[l]);
}

/** The firing Spark alerts of one or more Prometheus answers, deduplicated by their label set. */
export function sparkAlerts(alerts: readonly AlertInput[]): SparkAlert[] {
  const seen = new Set<string>();
  const out: SparkAlert[] = [];
  for (const a of alerts) {
    if (!concernsSpark(a)) continue;
    const fp = Object.keys(a.labels).sort().map((k) => `${k}=${a.labels[k]}`).join('\u0000');
    if (seen.has(fp)) continue;
    seen.add(fp);
    const name = a.labels.alertname || 'alert';
    out.push({
      name,
      severity: a.labels.severity || undefined,
      summary: a.annotations.summary || a.annotations.description || name,
      appId: ID_LABELS.map((l) => a.labels[l]).find((x) => !!x),
      appName: NAME_LABELS.map((l) => a.labels[l]).find((x) => !!x),
      executorId: a.labels.executor_id || undefined,
      activeAt: a.activeAt,
      value: a.value,
      labels: a.labels,
    });
  }
  return out.sort((x, y) => x.name.localeCompare(y.name) || (x.executorId ?? '').localeCompare(y.executorId ?? ''));
}

/** The alerts of one application: by id, else (when the alert carries no id) by name. */
export function alertsForApp(alerts: readonly SparkAlert[], app: { readonly id: string; readonly name: string }): SparkAlert[] {
  return alerts.filter((a) => (a.appId !== undefined ? a.appId === app.id : a.appName !== undefined && a.appName === app.name));
}
