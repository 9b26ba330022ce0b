/** F5: "Run File with Observability"; its runs are recorded in the store (store.runs) for the other features. */
import type { FeatureContext } from '../../featureContext';
import { registerRunFile } from './runFile';

export function register(f: FeatureContext): void {
  registerRunFile(f, f.store.runs);
}
