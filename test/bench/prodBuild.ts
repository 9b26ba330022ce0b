/**
 * A production build (`node scripts/build.mjs --production`, minified, no source maps) made in
 * a temporary copy of the repository, so the bench never overwrites the dist/ that other
 * tests and a running VS Code use. The copy holds what build.mjs reads (scripts/, src/, webview/,
 * node_modules linked) plus what VS Code needs to load it as an extension (package.json, media/).
 * One build per process; removed at exit.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from './common';

export interface ProdBuild {
  /** Root of the copy: an extension folder (package.json, dist/, media/). */
  readonly dir: string;
  readonly dist: string;
  readonly buildMs: number;
}

let pending: Promise<ProdBuild> | undefined;

export function productionBuild(): Promise<ProdBuild> {
  pending ??= build();
  return pending;
}

async function build(): Promise<ProdBuild> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'so-bench-build-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  for (const d of ['scripts', 'src', 'webview', 'media']) {
    if (fs.existsSync(path.join(REPO, d))) fs.cpSync(path.join(REPO, d), path.join(dir, d), { recursive: true });
  }
  for (const f of ['package.json', 'tsconfig.json', 'LICENSE', 'README.md']) {
    if (fs.existsSync(path.join(REPO, f))) fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
  }
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [path.join(dir, 'scripts', 'build.mjs'), '--production'], { cwd: dir, maxBuffer: 8 << 20 }, (err, _out, stderr) =>
      err ? reject(new Error(`production build failed: ${err.message}\n${stderr}`)) : resolve(),
    ),
  );
  return { dir, dist: path.join(dir, 'dist'), buildMs: Date.now() - t0 };
}
