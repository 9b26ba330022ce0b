// Writes the user settings the extension-host and UI tests run with: the local environment's
// History Server, Master and Prometheus (machine-scoped settings, so user settings), discovery
// of drivers on 4040–4050 as a user would have it, and faster polling so tests wait less.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const envFile = process.env.SO_ENV_DIR ? join(process.env.SO_ENV_DIR, 'env.json') : join(root, '.run/env/env.json');
const env = JSON.parse(readFileSync(envFile, 'utf8'));
const out = process.argv[2] ?? join(root, 'test-results/settings.json');
const settings = {
  'sparkObservatory.sources': [
    { name: 'history', url: env.historyUrl, kind: 'history', group: 'local' },
    { name: 'master', url: env.masterWebUrl, kind: 'master', group: 'local' },
    { name: 'prometheus', url: env.prometheusUrl, kind: 'prometheus', group: 'local' },
  ],
  'sparkObservatory.refreshInterval': 1,
  'sparkObservatory.statusBarInterval': 5,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(settings, null, 2) + '\n');
console.log(out);
