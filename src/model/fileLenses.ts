/**
 * The cache lenses of one file, from what the store knows: which application runs the file
 * (appForFile), which cached dataset each call made (cacheMatcher), and the state each lens
 * shows. The lens provider and the integration tests both call this, so a test of it against a
 * real Spark is a test of what the editor shows.
 */
import { applicationsForFile, AppFacts, RunFacts } from './appForFile';
import type { PythonScan, CacheCall } from './cacheScanner';
import { CacheMatch, matchCacheCalls } from './cacheMatcher';
import { cacheLensState, CacheLensState } from './cacheLensState';
import { resolveConnectSites } from './connectSites';
import type { ApplicationDetail, CachedDataset } from './types';

/** An application with its last polled details. */
export interface AppWithDetail extends AppFacts {
  readonly detail?: ApplicationDetail;
  /** The serving source or the last detail poll failed: figures are the last good ones. */
  readonly stale?: boolean;
  /** Epoch ms of the detail shown. */
  readonly fetchedAt?: number;
}

export interface CallLens {
  readonly call: CacheCall;
  readonly state: CacheLensState;
  readonly appKey?: string;
  readonly match?: CacheMatch;
  /** The dataset whose figures the lens shows, when it shows one. */
  readonly dataset?: CachedDataset;
}

export interface FileLensInput {
  readonly filePath: string;
  readonly text: string;
  readonly scan: PythonScan;
  readonly apps: readonly AppWithDetail[];
  readonly runs: readonly RunFacts[];
  /** The user's choices for ambiguous calls: 0-based call line → rdd id, for `pickedFor`'s app. */
  readonly picks?: ReadonlyMap<number, number>;
  readonly pickedFor?: string;
  readonly now: number;
}

/**
 * An application with Spark Connect's jobs and datasets named as the classic hook names them
 * (connectSites.ts): a no-op for classic applications and for details the store resolved already.
 */
export function withConnectSites(a: AppWithDetail): AppWithDetail {
  const detail = a.detail ? resolveConnectSites(a.detail) : undefined;
  if (!detail?.connect) return a;
  return { ...a, detail, jobs: detail.jobs, cachedDatasets: detail.cachedDatasets };
}

/** The lens of every cache call of a file, in the scan's order. */
export function fileLenses(input: FileLensInput): { appKey?: string; lenses: CallLens[] } {
  const apps = input.apps.map(withConnectSites);
  const best = applicationsForFile(input.filePath, apps, input.runs)[0];
  const app = best ? apps.find((a) => a.key === best.key) : undefined;
  if (!app) {
    return { lenses: input.scan.calls.map((call) => ({ call, state: cacheLensState({ now: input.now }) })) };
  }
  const datasets = app.detail?.cachedDatasets ?? [];
  const matches = matchCacheCalls({ filePath: input.filePath, text: input.text, scan: input.scan, datasets, connect: app.detail?.connect });
  const offlineSince = app.stale ? app.fetchedAt ?? input.now : undefined;
  const lenses = matches.map(({ call, match }): CallLens => {
    let m: CacheMatch = match;
    const picked = input.pickedFor === app.key ? input.picks?.get(call.line) : undefined;
    if (picked !== undefined && m.kind === 'ambiguous') {
      const chosen = m.candidates.find((d) => d.rddId === picked);
      if (chosen) {
        m = { kind: 'matched', dataset: chosen, confidence: 'estimated', evidence: 'onlyCandidate', reason: `rdd ${chosen.rddId}, picked by you among ${m.candidates.length} that fit` };
      }
    }
    const state = cacheLensState({ appId: app.app.id, ended: app.app.state === 'completed', match: m, executors: app.detail?.executors, offlineSince, now: input.now });
    return { call, state, appKey: app.key, match: m, dataset: m.kind === 'matched' ? m.dataset : undefined };
  });
  return { appKey: app.key, lenses };
}
