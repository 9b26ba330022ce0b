/**
 * F7 as one feature: "Compare Runs" and "Measure Cache Impact", which opens its result in the
 * same comparison panel.
 */
import type { FeatureContext } from '../../featureContext';
import { registerCompare } from './comparePanel';
import { registerCacheImpact } from './cacheImpact';

export function register(f: FeatureContext): void {
  registerCacheImpact(f, registerCompare(f));
}
