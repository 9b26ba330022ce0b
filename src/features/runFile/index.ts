/**
 * F5: "Run File with Observability", its Stop, and its history ("Compare with Previous Run"). Its
 * runs are recorded in the store (store.runs) for the other features.
 */
import type { FeatureContext } from '../../featureContext';
import { registerRunFile } from './runFile';
import { registerStop } from './stopCommand';
import { registerHistory } from './history';

/** Set while the feature is registered: deactivate() stops this window's runs through it. */
let stopRuns: (() => void) | undefined;

export function register(f: FeatureContext): void {
  registerHistory(f);
  const runner = registerRunFile(f, f.store.runs);
  registerStop(f, runner);
  stopRuns = () => runner.stopAll();
}

/** Stops every run this window started (extension deactivation; the watchdogs finish the job if the host goes). */
export function stopAllRuns(): void {
  stopRuns?.();
}
