/**
 * Bundle sizes after a production build (DESIGN.md: extension ≤ 300 KB minified, each webview
 * ≤ 400 KB). KB here is 1,024 bytes. Gzip sizes are reported too, for context (a .vsix is a zip).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { BenchResult, progress, round, runAlone } from './common';
import { productionBuild } from './prodBuild';

const EXTENSION_BUDGET_KB = 300;
const WEBVIEW_BUDGET_KB = 400;

function sizes(file: string): { kb: number; gzipKb: number } {
  const buf = fs.readFileSync(file);
  return { kb: round(buf.length / 1024, 1), gzipKb: round(gzipSync(buf, { level: 9 }).length / 1024, 1) };
}

export async function run(): Promise<BenchResult[]> {
  progress('bundle', 'production build in a temporary copy (node scripts/build.mjs --production)…');
  const b = await productionBuild();
  const rows: BenchResult[] = [];
  const ext = sizes(path.join(b.dist, 'extension.js'));
  rows.push({ name: 'bundle: dist/extension.js (minified)', value: ext.kb, unit: 'KB', budget: EXTENSION_BUDGET_KB, note: `gzip ${ext.gzipKb} KB; production build took ${b.buildMs} ms` });
  const webviews = fs.readdirSync(path.join(b.dist, 'webview')).filter((f) => f.endsWith('.js')).sort();
  for (const f of webviews) {
    const s = sizes(path.join(b.dist, 'webview', f));
    rows.push({ name: `bundle: dist/webview/${f} (minified)`, value: s.kb, unit: 'KB', budget: WEBVIEW_BUDGET_KB, note: `gzip ${s.gzipKb} KB` });
  }
  if (webviews.length === 0) rows.push({ name: 'bundle: no webview bundle found in dist/webview', value: 0, unit: 'files' });
  return rows;
}

if (require.main === module) runAlone(run);
