/**
 * Runs the extension-host suite (out/test/vscode/suite) with @vscode/test-electron's runTests.
 *
 *   node out/test/vscode/runTests.js [--folder DIR] [--settings FILE.json] [--grep PATTERN] [--keep] [--extension DIR]
 *
 * - SO_VSCODE_EXECUTABLE set: that VS Code desktop executable runs the suite (the usual way).
 * - otherwise: test/vscode/launcher.js runs it in code-server + Chromium (HARNESS.md). runTests
 *   spawns its executable directly (no shell, no interpreter), so a two-line shell wrapper that
 *   execs `node launcher.js "$@"` is written to a temp dir and made executable.
 *
 * Each run gets fresh --user-data-dir and --extensions-dir (removed afterwards unless --keep);
 * --settings is written to <user-data-dir>/User/settings.json, which desktop VS Code and
 * code-server both read at start, machine-scoped settings included (see codeServer.ts). The same
 * settings reach the suite as env SO_TEST_USER_SETTINGS (JSON), so tests can check them.
 * --extension: the extension under development (default: the repo root); lets the harness be
 * checked against another extension.
 * Exit code: 0 when every test passed, otherwise the suite's (non-zero) code.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { HARNESS_DEFAULT_SETTINGS, writeUserSettings } from '../harness/codeServer';

// out/test/vscode/runTests.js -> repo root is three levels up.
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

interface Args {
  folder?: string;
  settings: Record<string, unknown>;
  grep?: string;
  keep: boolean;
  extension: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { settings: {}, keep: false, extension: REPO_ROOT };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--folder') args.folder = path.resolve(value());
    else if (a === '--settings') {
      const file = path.resolve(value());
      try {
        args.settings = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`--settings ${file}: ${(e as Error).message}`);
      }
    } else if (a === '--grep') args.grep = value();
    else if (a === '--keep') args.keep = true;
    else if (a === '--extension') args.extension = path.resolve(value());
    else throw new Error(`unknown argument ${a}\nusage: node out/test/vscode/runTests.js [--folder DIR] [--settings FILE.json] [--grep PATTERN] [--keep] [--extension DIR]`);
  }
  if (args.folder && !fs.statSync(args.folder, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`--folder ${args.folder} is not a directory`);
  return args;
}

/** A file runTests can spawn directly that runs launcher.js with this Node. */
function writeLauncherWrapper(dir: string): string {
  const launcher = path.join(REPO_ROOT, 'test', 'vscode', 'launcher.js');
  if (!fs.existsSync(launcher)) throw new Error(`launcher not found: ${launcher}`);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const wrapper = path.join(dir, 'vscode-launcher');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${q(process.execPath)} ${q(launcher)} "$@"\n`, { mode: 0o755 });
  return wrapper;
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const extensionTestsPath = path.join(REPO_ROOT, 'out', 'test', 'vscode', 'suite', 'index.js');
  if (!fs.existsSync(extensionTestsPath)) throw new Error(`${extensionTestsPath} is missing: run npm run compile-tests`);
  const entry = JSON.parse(fs.readFileSync(path.join(args.extension, 'package.json'), 'utf8')).main as string | undefined;
  if (entry && !fs.existsSync(path.join(args.extension, entry))) throw new Error(`the extension's main ${path.join(args.extension, entry)} is missing: run npm run build`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'so-runtests-'));
  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  fs.mkdirSync(extensionsDir, { recursive: true });
  const settings = { ...HARNESS_DEFAULT_SETTINGS, ...args.settings };
  writeUserSettings(userDataDir, settings);

  const desktop = process.env.SO_VSCODE_EXECUTABLE;
  const vscodeExecutablePath = desktop || writeLauncherWrapper(tmp);
  const t0 = Date.now();
  try {
    return await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: args.extension,
      extensionTestsPath,
      // Before runTests' own flags: the folder first (the launcher takes the first non-flag),
      // then our dirs so runTests does not add its shared .vscode-test defaults.
      launchArgs: [...(args.folder ? [args.folder] : []), `--user-data-dir=${userDataDir}`, `--extensions-dir=${extensionsDir}`],
      extensionTestsEnv: {
        SO_TEST_USER_SETTINGS: JSON.stringify(settings),
        ...(args.grep ? { SO_TEST_GREP: args.grep } : {}),
      },
    });
  } catch (e) {
    // runTests rejects with TestRunFailedError { code } when the executable exits non-zero.
    const code = (e as { code?: number }).code;
    console.error(`runTests: ${(e as Error).message}`);
    return typeof code === 'number' && code !== 0 ? code : 1;
  } finally {
    console.log(`runTests: ${desktop ? 'VS Code desktop' : 'code-server + Chromium'}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (args.keep) console.log(`runTests: kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
