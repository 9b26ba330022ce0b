/**
 * F4 and F5 together: "Run File with Observability" and the cache lenses share the record of
 * which run ran which file, so a lens knows the application of its file from the first poll.
 */
import type { FeatureContext } from '../../featureContext';
import { RunRegistry } from '../../store/runs';
import { registerRunFile } from './runFile';
import { registerCacheLens } from '../cacheLens/cacheLens';

export function register(f: FeatureContext): void {
  const runs = new RunRegistry();
  registerRunFile(f, runs);
  registerCacheLens(f, runs);
}
