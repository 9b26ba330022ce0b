/**
 * The mocha runner the extension host loads (extensionTestsPath): runs every
 * out/test/vscode/suite/**\/*.test.js. Its run() settling is what ends the VS Code instance:
 * resolve = exit code 0, reject = non-zero (codeAutomationExit in code-server, the process exit
 * code in desktop VS Code).
 *
 * Output goes through console.log, which the extension host forwards (to the launcher's stdout
 * under code-server); colours are off because it ends up in plain logs.
 * SO_TEST_GREP (set by runTests.ts --grep) runs only the matching tests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** Every *.test.js under dir, sorted for a stable order (Node 20 has no fs.glob, and there is no glob dependency). */
export function findTestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTestFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) out.push(full);
  }
  return out.sort();
}

/**
 * Under the launcher (env SO_CONSOLE_MARK), prefixes every console line of this extension host
 * with the mark so the launcher can tell them from the workbench's own log lines (see
 * CONSOLE_MARK in test/harness/browser.ts). The extension host locks the methods of `console`
 * (assignments to console.log are ignored), so the global `console` object is replaced instead,
 * and mocha's reporter, which captured console.log when mocha loaded, is pointed at it.
 * Format strings keep working: the mark is prepended to a string first argument, else passed
 * as an argument of its own.
 */
function markConsole(mark: string): void {
  const original = globalThis.console;
  const marked = Object.create(original) as Console;
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const write = original[level].bind(original) as (...args: unknown[]) => void;
    Object.defineProperty(marked, level, {
      value: (...args: unknown[]) => (typeof args[0] === 'string' ? write(mark + args[0], ...args.slice(1)) : write(mark, ...args)),
      writable: true,
      configurable: true,
    });
  }
  globalThis.console = marked;
  (Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void }).consoleLog = marked.log;
}

export function run(): Promise<void> {
  if (process.env.SO_CONSOLE_MARK) markConsole(process.env.SO_CONSOLE_MARK);
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', timeout: 60_000, color: false });
  if (process.env.SO_TEST_GREP) mocha.grep(process.env.SO_TEST_GREP);
  const files = findTestFiles(__dirname);
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files under ${__dirname}`));
  for (const f of files) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} test(s) failed`));
        else resolve();
      });
    } catch (e) {
      reject(e);
    }
  });
}
