#!/usr/bin/env node
/**
 * Stands in for the VS Code executable when @vscode/test-electron's runTests() runs the
 * extension-host suite here, where VS Code desktop cannot be downloaded (HARNESS.md).
 *
 * runTests spawns `<executable> <launchArgs…> --no-sandbox --disable-gpu-sandbox
 * --disable-updates --skip-welcome --skip-release-notes --disable-workspace-trust
 * --extensionTestsPath=… --extensionDevelopmentPath=… [--extensions-dir=… --user-data-dir=…]`
 * and resolves with its exit code. This launcher starts code-server (the real VS Code server and
 * workbench) with those dirs, opens the workbench in Chromium with the development/test paths
 * in the URL payload, and exits with the code the workbench hands to `codeAutomationExit` when
 * the suite's run() settles.
 *
 * The first argument that is not a flag is the folder to open. Plain JS so it runs without a
 * build step of its own; it reuses the compiled harness in out/test/harness (`tsc -p test`).
 *
 * Environment: SO_LAUNCHER_TIMEOUT_MS (default 600000), SO_LAUNCHER_VERBOSE=1 (also print
 * the workbench's own console and code-server's log).
 */
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { setTimeout: delay } = require('node:timers/promises');
const { setInterval, clearInterval } = require('node:timers');

const harnessDir = path.resolve(__dirname, '..', '..', 'out', 'test', 'harness');
for (const f of ['codeServer.js', 'browser.js']) {
  if (!fs.existsSync(path.join(harnessDir, f))) {
    console.error(`launcher: ${path.join(harnessDir, f)} is missing; compile the tests first (npm run compile-tests)`);
    process.exit(1);
  }
}
const { startCodeServer, isAlive } = require(path.join(harnessDir, 'codeServer.js'));
const { launchBrowser, flushConsole, CONSOLE_MARK } = require(path.join(harnessDir, 'browser.js'));

// Flags that take a value; runTests writes them as --flag=value but launchArgs may use --flag value.
const VALUE_FLAGS = new Set(['extensionTestsPath', 'extensionDevelopmentPath', 'extensions-dir', 'user-data-dir', 'folder-uri', 'locale', 'log']);

function parseArgs(argv) {
  const flags = new Map();
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    let key;
    let value;
    if (eq > 0) {
      key = a.slice(2, eq);
      value = a.slice(eq + 1);
    } else {
      key = a.slice(2);
      value = VALUE_FLAGS.has(key) && i + 1 < argv.length && !argv[i + 1].startsWith('--') ? argv[++i] : true;
    }
    if (!flags.has(key)) flags.set(key, []);
    flags.get(key).push(value);
  }
  return { flags, positional };
}

const verbose = process.env.SO_LAUNCHER_VERBOSE === '1';
// Set by a signal handler, which then owns the exit (cleanup first, exit code 130).
let exiting = false;
const log = (msg) => process.stderr.write(`[launcher] ${msg}\n`);

async function main() {
  const { flags, positional } = parseArgs(process.argv.slice(2));
  const one = (k) => {
    const v = flags.get(k);
    return v && typeof v[v.length - 1] === 'string' ? v[v.length - 1] : undefined;
  };
  const testsPath = one('extensionTestsPath');
  const devPaths = (flags.get('extensionDevelopmentPath') || []).filter((v) => typeof v === 'string');
  if (!testsPath) throw new Error('launcher: --extensionTestsPath is required (this launcher only runs extension tests)');
  let folder = positional[0];
  const folderUri = one('folder-uri');
  if (!folder && folderUri && folderUri.startsWith('file://')) folder = new URL(folderUri).pathname;
  if (folder && !fs.existsSync(folder)) throw new Error(`launcher: folder to open does not exist: ${folder}`);
  const timeoutMs = Number(process.env.SO_LAUNCHER_TIMEOUT_MS || 600_000);

  let server;
  let session;
  const cleanup = async () => {
    if (session) await session.close().catch(() => undefined);
    if (server) await server.stop().catch((e) => log(`stopping code-server: ${e.message}`));
  };
  // runTests sends SIGINT on Ctrl+C; CI runners send SIGTERM. Stop everything, then leave.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (exiting) return;
      exiting = true;
      log(`${sig}: stopping code-server and Chromium`);
      cleanup().finally(() => process.exit(130));
    });
  }

  const t0 = Date.now();
  // Inherited by code-server and its extension host: the suite runner marks console lines with it.
  process.env.SO_CONSOLE_MARK = CONSOLE_MARK;
  try {
    server = await startCodeServer({
      folder,
      extensionDevelopmentPath: devPaths,
      userDataDir: one('user-data-dir'),
      extensionsDir: one('extensions-dir'),
      // runTests always passes --disable-workspace-trust; honour it rather than assume it.
      workspaceTrust: !flags.has('disable-workspace-trust'),
      onOutput: verbose ? (line) => process.stderr.write(`[code-server] ${line}\n`) : undefined,
    });
    log(`code-server ${server.origin} up in ${Date.now() - t0} ms (pid ${server.pid})`);

    session = await launchBrowser({
      onConsole: (line, msg) => {
        // The extension host's console (mocha's spec reporter, tests, the extension) is the test
        // output: stdout. The workbench's own console only when verbose, or errors about activating
        // extensions (the failed extension-gallery lookup is expected offline and not shown).
        if (line.source === 'extension-host') process.stdout.write(`${line.text}\n`);
        else if (verbose || (msg.type() === 'error' && /activat/i.test(line.text))) process.stderr.write(`[workbench ${msg.type()}] ${line.text}\n`);
      },
    });
    const page = session.page;

    let settle;
    const result = new Promise((resolve) => (settle = resolve));
    // Must exist before goto: the workbench looks for it when the test module's run() settles.
    await page.exposeFunction('codeAutomationExit', (code) => settle({ code: Number(code) || 0, why: `codeAutomationExit(${code})` }));
    page.on('crash', () => settle({ code: 1, why: 'the workbench page crashed' }));
    page.on('close', () => settle({ code: 1, why: 'the workbench page closed' }));
    const timer = setTimeout(() => settle({ code: 1, why: `timed out after ${timeoutMs} ms` }), timeoutMs);
    const serverWatch = setInterval(() => {
      if (!isAlive(server.pid)) settle({ code: 1, why: 'code-server exited' });
    }, 1000);

    const url = server.workbenchUrl({ extensionTestsPath: testsPath });
    if (verbose) log(`opening ${url}`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    const { code, why } = await result;
    clearTimeout(timer);
    clearInterval(serverWatch);
    // Let the last console lines (mocha's summary) arrive and be written.
    await delay(300);
    await flushConsole(page);
    log(`${why}; suite took ${((Date.now() - t0) / 1000).toFixed(1)} s in total`);
    if (code !== 0 && !verbose && server) process.stderr.write(`--- code-server log (tail) ---\n${server.output().slice(-3000)}\n`);
    return code;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => {
    if (!exiting) process.exit(code);
  },
  (err) => {
    if (exiting) return;
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);
