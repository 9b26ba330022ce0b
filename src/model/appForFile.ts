/**
 * Which application runs (or ran) a given source file, for the cache lenses. Evidence, strongest
 * first: a run of "Run File with Observability" for this file that started the application (its
 * recorded application id, or its driver UI serving it); a cached dataset the hook named after a line of this file; a job whose call site
 * (`count at /abs/job.py:37`, set by the hook for every action and by PySpark itself for collect
 * and RDD actions) points into this file. Among applications with evidence, running ones come
 * first, then the most recently started.
 */
import { parseCallSite } from './callSite';
import { sameFile } from './cacheMatcher';
import { parseHookName } from './datasetNames';
import type { Application, CachedDataset, Job } from './types';

/** What is known of one application in the store. */
export interface AppFacts {
  readonly key: string;
  readonly app: Application;
  /** Base URL of the source serving it (a driver UI for live applications). */
  readonly sourceUrl?: string;
  readonly cachedDatasets?: readonly CachedDataset[];
  readonly jobs?: readonly Job[];
}

/** One run started by the extension. */
export interface RunFacts {
  readonly file: string;
  /** `http://127.0.0.1:4041`: where its driver UI answers; undefined once that port may serve another application. */
  readonly uiUrl?: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Its application, once known (from Spark's log or its driver): an exact match. */
  readonly appId?: string;
}

export type AppEvidence = 'run' | 'hookName' | 'callSite';

export interface AppForFile {
  readonly key: string;
  readonly evidence: AppEvidence;
}

/** `host:port` of a URL, `localhost` as 127.0.0.1; undefined for anything that is not a URL. */
export function hostPort(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return `${u.hostname === 'localhost' ? '127.0.0.1' : u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return undefined;
  }
}

/** A start time may come before the run's record by clock skew between the JVM and us. */
export const START_SLACK_MS = 5_000;

function evidenceFor(a: AppFacts, runs: readonly RunFacts[], isThisFile: (p: string) => boolean): AppEvidence | undefined {
  if (runs.some((r) => r.appId === a.app.id && isThisFile(r.file))) return 'run';
  const at = hostPort(a.sourceUrl);
  if (at && runs.some((r) => hostPort(r.uiUrl) === at && isThisFile(r.file) && (a.app.startTime === undefined || a.app.startTime >= r.startedAt - START_SLACK_MS))) {
    return 'run';
  }
  if (a.cachedDatasets?.some((d) => {
    const h = parseHookName(d.name);
    return !!h && (isThisFile(h.path) || (!!h.caller && isThisFile(h.caller.path)));
  })) return 'hookName';
  if (a.jobs?.some((j) => {
    const site = parseCallSite(j.name);
    return !!site && isThisFile(site.path);
  })) return 'callSite';
  return undefined;
}

const EVIDENCE_RANK: Record<AppEvidence, number> = { run: 0, hookName: 1, callSite: 2 };

/**
 * The applications that run `filePath`, best first (running before finished, then newest, then
 * stronger evidence). `isThisFile` decides whether a driver-side path is this file (default:
 * cacheMatcher's sameFile).
 */
export function applicationsForFile(
  filePath: string,
  apps: readonly AppFacts[],
  runs: readonly RunFacts[],
  isThisFile: (driverPath: string) => boolean = (p) => sameFile(p, filePath),
): AppForFile[] {
  const found: { a: AppFacts; evidence: AppEvidence }[] = [];
  for (const a of apps) {
    const evidence = evidenceFor(a, runs, isThisFile);
    if (evidence) found.push({ a, evidence });
  }
  found.sort((x, y) =>
    (x.a.app.state === 'running' ? 0 : 1) - (y.a.app.state === 'running' ? 0 : 1) ||
    (y.a.app.startTime ?? 0) - (x.a.app.startTime ?? 0) ||
    EVIDENCE_RANK[x.evidence] - EVIDENCE_RANK[y.evidence]);
  return found.map(({ a, evidence }) => ({ key: a.key, evidence }));
}
