/**
 * Prometheus HTTP API: query, query_range, series, label values, targets, alerts.
 * Values arrive as strings, `"NaN"`, `"+Inf"` and `"-Inf"` included; errors arrive as
 * `{"status":"error","errorType":…,"error":…}` with 400/422/503; successes may carry warnings.
 * All of that reaches the caller as typed values, never as raw JSON.
 */
import { HttpClient, HttpError } from './http';
import { asObject, isObject, Json, optStr, str } from './parse';

/** Prometheus's own error: errorType and message, for the user to read as it is. */
export class PrometheusError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PrometheusError';
  }
}

export interface Sample {
  /** Seconds since epoch, as Prometheus gives them. */
  readonly t: number;
  /** NaN and ±Infinity kept as such; the chart layer decides how to draw them. */
  readonly v: number;
}

export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly samples: readonly Sample[];
}

export interface QueryResult {
  readonly series: readonly Series[];
  readonly warnings: readonly string[];
}

export interface Alert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly state: string;
  readonly activeAt?: string;
  readonly value?: string;
}

export interface Target {
  readonly scrapeUrl: string;
  readonly health: string;
  readonly lastError: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly scrapeIntervalSeconds?: number;
}

/** `"NaN"`, `"+Inf"`, `"-Inf"`, `"1.5e3"` → number. */
export function parseSampleValue(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = str(v);
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  const n = Number(s);
  return s.trim() === '' ? NaN : n;
}

function labelsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, val] of Object.entries(v)) out[k] = str(val);
  return out;
}

function parseSample(p: unknown): Sample | undefined {
  if (!Array.isArray(p) || p.length < 2) return undefined;
  const t = Number(p[0]);
  return Number.isFinite(t) ? { t, v: parseSampleValue(p[1]) } : undefined;
}

/** Unwraps the envelope: throws PrometheusError for `status: error`, returns data and warnings. */
export function unwrap(body: unknown, httpStatus?: number): { data: unknown; warnings: string[] } {
  const o = asObject(body, 'Prometheus answer');
  const warnings = Array.isArray(o.warnings) ? o.warnings.map(str) : [];
  if (o.status === 'error') throw new PrometheusError(str(o.errorType) || 'error', str(o.error) || 'Prometheus error', httpStatus);
  if (o.status !== 'success') throw new HttpError('malformed', 'not a Prometheus API answer');
  return { data: o.data, warnings };
}

export function parseQueryData(data: unknown): Series[] {
  const d = asObject(data, 'query data');
  const result = d.result;
  switch (d.resultType) {
    case 'matrix':
      return (Array.isArray(result) ? result.filter(isObject) : []).map((r: Json) => ({
        labels: labelsOf(r.metric),
        samples: (Array.isArray(r.values) ? r.values : []).map(parseSample).filter((s): s is Sample => !!s),
      }));
    case 'vector':
      return (Array.isArray(result) ? result.filter(isObject) : []).map((r: Json) => {
        const s = parseSample(r.value);
        return { labels: labelsOf(r.metric), samples: s ? [s] : [] };
      });
    case 'scalar': {
      const s = parseSample(result);
      return [{ labels: {}, samples: s ? [s] : [] }];
    }
    default:
      return [];
  }
}

// Prometheus answers errors with these statuses and a JSON body that says what is wrong.
const ERROR_STATUSES = [400, 422, 503];

export class PrometheusClient {
  constructor(private readonly http: HttpClient) {}

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Sends one API call; Prometheus's own error answer becomes a PrometheusError. */
  private async request(path: string, req: { form?: Record<string, string>; params?: Record<string, string> }, signal?: AbortSignal) {
    try {
      // Queries go as a POST form: long PromQL does not fit in a URL behind some proxies.
      return unwrap(await this.http.getJson(path, { ...req, signal, acceptStatus: ERROR_STATUSES }));
    } catch (e) {
      if (e instanceof HttpError && e.body) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(e.body);
        } catch {
          throw e;
        }
        return unwrap(parsed, e.status);
      }
      throw e;
    }
  }

  private call(path: string, form: Record<string, string>, signal?: AbortSignal) {
    return this.request(path, { form }, signal);
  }

  private get(path: string, params: Record<string, string>, signal?: AbortSignal) {
    return this.request(path, { params }, signal);
  }

  async buildInfo(signal?: AbortSignal): Promise<{ version: string }> {
    const { data } = await this.get('api/v1/status/buildinfo', {}, signal);
    return { version: str(asObject(data, 'build info').version) };
  }

  async query(expr: string, time?: number, signal?: AbortSignal): Promise<QueryResult> {
    const form: Record<string, string> = { query: expr };
    if (time !== undefined) form.time = String(time);
    const { data, warnings } = await this.call('api/v1/query', form, signal);
    return { series: parseQueryData(data), warnings };
  }

  /** start/end in seconds; step in seconds (choose it with model/promql's chooseStep). */
  async queryRange(expr: string, start: number, end: number, step: number, signal?: AbortSignal): Promise<QueryResult> {
    const { data, warnings } = await this.call(
      'api/v1/query_range',
      { query: expr, start: String(start), end: String(end), step: String(step) },
      signal,
    );
    return { series: parseQueryData(data), warnings };
  }

  async series(match: string, start?: number, end?: number, signal?: AbortSignal): Promise<Record<string, string>[]> {
    const form: Record<string, string> = { 'match[]': match };
    if (start !== undefined) form.start = String(start);
    if (end !== undefined) form.end = String(end);
    const { data } = await this.call('api/v1/series', form, signal);
    return (Array.isArray(data) ? data : []).map(labelsOf);
  }

  async labelValues(label: string, match?: string, signal?: AbortSignal): Promise<string[]> {
    const params: Record<string, string> = {};
    if (match) params['match[]'] = match;
    const { data } = await this.get(`api/v1/label/${encodeURIComponent(label)}/values`, params, signal);
    return Array.isArray(data) ? data.map(str) : [];
  }

  async alerts(signal?: AbortSignal): Promise<Alert[]> {
    const { data } = await this.get('api/v1/alerts', {}, signal);
    const list = isObject(data) && Array.isArray(data.alerts) ? data.alerts.filter(isObject) : [];
    return list.map((a) => ({
      labels: labelsOf(a.labels),
      annotations: labelsOf(a.annotations),
      state: str(a.state),
      activeAt: optStr(a.activeAt),
      value: optStr(a.value),
    }));
  }

  async targets(signal?: AbortSignal): Promise<Target[]> {
    const { data } = await this.get('api/v1/targets', { state: 'active' }, signal);
    const list = isObject(data) && Array.isArray(data.activeTargets) ? data.activeTargets.filter(isObject) : [];
    return list.map((t) => {
      const interval = optStr(t.scrapeInterval);
      const m = interval ? /^(\d+(?:\.\d+)?)s$/.exec(interval) : null;
      return {
        scrapeUrl: str(t.scrapeUrl),
        health: str(t.health),
        lastError: str(t.lastError),
        labels: labelsOf(t.labels),
        scrapeIntervalSeconds: m ? Number(m[1]) : undefined,
      };
    });
  }
}
