/**
 * The previous release, built at bench time from git so that its figures stand next to this
 * release's in the same run, against the same fake driver (DESIGN.md "Budgets"; issue 11): commit
 * 9c39d4d, whose store was src/store.ts and whose poll worker was test/bench/pollWorker.ts.
 *
 * `git archive` of its src/ and test/bench/ into a temporary folder, compiled there with this
 * repository's TypeScript and node_modules (linked), removed again by `dispose()`. Nothing of the
 * old code is committed here. Without git or without the commit (a shallow clone, an export),
 * the reason is returned instead and the bench reports this release alone.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from './common';

export const PREVIOUS_COMMIT = '9c39d4d';

export interface PreviousBuild {
  /** The full commit id. */
  readonly commit: string;
  /** Its compiled poll worker: `node --expose-gc <worker> '{"url","mode","warmup","polls"}'`. */
  readonly worker: string;
  dispose(): void;
}

/** What the previous release's worker prints (test/bench/pollWorker.ts at 9c39d4d), as far as the bench reads it. */
export interface PreviousWorkerResult {
  readonly cpuMs: number[];
  readonly wallMs: number[];
  readonly requests: number[];
  readonly appRequests: number[];
  readonly distinct: { path: string; params: string }[];
  readonly executorsSeen: number;
  readonly detailError?: string;
  readonly perEndpointCpuMs: Record<string, number>;
}

function run(cmd: string, args: readonly string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000, maxBuffer: 16 << 20 });
}

function reason(e: unknown): string {
  const err = e as { stderr?: string; stdout?: string; message?: string };
  return (err.stderr?.trim() || err.stdout?.trim() || err.message || String(e)).split('\n')[0];
}

/** Builds the previous release's store and poll worker, or says why it cannot. */
export function buildPrevious(commit = PREVIOUS_COMMIT): PreviousBuild | { unavailable: string } {
  let sha: string;
  try {
    sha = run('git', ['rev-parse', '--verify', '--quiet', `${commit}^{commit}`], REPO).trim();
  } catch (e) {
    return { unavailable: `git cannot find commit ${commit} here (${reason(e) || 'not in this clone'}): only this release is measured` };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `so-bench-previous-${commit}-`));
  const dispose = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const tar = path.join(dir, 'tree.tar');
    run('git', ['archive', '--format=tar', '-o', tar, sha, 'src', 'test/bench'], REPO);
    run('tar', ['-xf', tar], dir);
    fs.rmSync(tar);
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    // Only the worker and what it imports (the old store, its sources and model).
    const options = ['--outDir', 'out', '--rootDir', '.', '--module', 'commonjs', '--target', 'ES2022', '--moduleResolution', 'node', '--lib', 'ES2022', '--types', 'node', '--esModuleInterop', '--skipLibCheck', '--resolveJsonModule'];
    const worker = path.join(dir, 'out', 'test', 'bench', 'pollWorker.js');
    try {
      run(process.execPath, [tsc, ...options, path.join('test', 'bench', 'pollWorker.ts')], dir);
    } catch (e) {
      // Type errors against today's @types still emit JavaScript: only a missing worker is fatal.
      if (!fs.existsSync(worker)) throw e;
    }
    return { commit: sha, worker, dispose };
  } catch (e) {
    dispose();
    return { unavailable: `the previous release (${commit}) did not build: ${reason(e)}` };
  }
}
