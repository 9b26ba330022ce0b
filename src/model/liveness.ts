/**
 * What counts as running and what counts as a problem, for the status bar and the tree.
 */
import type { ApplicationState, SourceKind } from './types';

/**
 * Running as far as a live source can tell. A History Server lists an application as running
 * while its event log is still `.inprogress`, which is also what a driver killed hard leaves
 * behind for ever; only a driver, the Master or Prometheus answering now says it is alive.
 */
export function isLiveApplication(e: { app: { state: ApplicationState }; via: SourceKind; stale: boolean }): boolean {
  return e.app.state === 'running' && e.via !== 'history' && !e.stale;
}

/**
 * A source failing is worth the user's attention, except a discovered driver that refuses:
 * that is a local job that ended, and its port is dropped on the next poll.
 */
export function isSourceProblem(s: { status: string; error?: { kind: string }; config: { origin: 'settings' | 'discovered' | 'own' }; kind?: SourceKind }): boolean {
  if (s.status !== 'error') return false;
  return !(s.config.origin === 'discovered' && s.kind === 'driver' && s.error?.kind === 'refused');
}
