/**
 * Starts and stops a real VS Code server (code-server 4.100.3 = VS Code 1.100.3) for tests.
 *
 * Why code-server: VS Code desktop cannot be downloaded on these machines, and code-server from
 * the npm registry carries the real workbench and the same Node extension host (HARNESS.md).
 * It is provisioned by scripts/provision.sh into the per-user cache (scripts/versions.sh).
 *
 * Each instance gets its own port on 127.0.0.1, its own --user-data-dir and --extensions-dir and
 * its own code-server config file, so instances never share state and never touch
 * ~/.config/code-server. User settings are written before start (see writeUserSettings).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitFor } from './wait';

// Compiled to out/test/harness/ (three levels below the repo root), or run from test/harness/ (two).
const up2 = path.resolve(__dirname, '..', '..');
const REPO_ROOT = path.basename(up2) === 'out' ? path.dirname(up2) : up2;

/**
 * Path of code-server's entry.js. SO_CODE_SERVER_ENTRY overrides (a code-server installed
 * elsewhere); otherwise scripts/code-server-path.sh answers, so the version and cache location
 * stay defined once, in scripts/versions.sh. Throws the script's message when not provisioned.
 */
export function codeServerEntry(): string {
  const override = process.env.SO_CODE_SERVER_ENTRY;
  if (override) {
    if (!fs.existsSync(override)) throw new Error(`SO_CODE_SERVER_ENTRY=${override} does not exist`);
    return override;
  }
  const script = path.join(REPO_ROOT, 'scripts', 'code-server-path.sh');
  const r = spawnSync('bash', [script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error((r.stderr || r.error?.message || `${script} failed`).trim());
  return r.stdout.trim();
}

/** A port that was free on 127.0.0.1 a moment ago (start() retries if another process wins the race). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/**
 * Writes user settings to <user-data-dir>/User/settings.json, where both code-server and
 * desktop VS Code read a profile's user settings.
 *
 * Verified on code-server 4.100.3 with a probe extension (machine-scoped and window-scoped
 * settings, vscode.workspace.getConfiguration in the extension host):
 *  - User/settings.json is read when the workbench loads, every scope included (so machine-scoped
 *    sparkObservatory.* settings work from here), but later edits of the file are NOT applied
 *    to an open window: reload the page (page.reload()) after changing it.
 *  - <user-data-dir>/Machine/settings.json (the server's "remote" settings) is watched and
 *    applied live, every scope included, and overrides User/settings.json: see
 *    writeMachineSettings. The harness writes it only on request, so that by default there is one
 *    copy and `config.update(..., ConfigurationTarget.Global)` in a test is not shadowed.
 */
export function writeUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
  writeJson(path.join(userDataDir, 'User', 'settings.json'), settings);
}

/** Writes <user-data-dir>/Machine/settings.json: applied live by a running code-server, overriding user settings. */
export function writeMachineSettings(userDataDir: string, settings: Record<string, unknown>): void {
  writeJson(path.join(userDataDir, 'Machine', 'settings.json'), settings);
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Write then rename, so a watcher never reads a half-written file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

function readJson(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) return {};
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file} is not plain JSON (the harness does not parse comments): ${(e as Error).message}`);
  }
}

/** Reads <user-data-dir>/Machine/settings.json (or {}). */
export function readMachineSettings(userDataDir: string): Record<string, unknown> {
  return readJson(path.join(userDataDir, 'Machine', 'settings.json'));
}

/** Reads back the user settings written by writeUserSettings (or {}). */
export function readUserSettings(userDataDir: string): Record<string, unknown> {
  return readJson(path.join(userDataDir, 'User', 'settings.json'));
}

/**
 * Settings every harness instance starts with (callers' settings win): keep the workbench quiet
 * and deterministic (no welcome page, no update or gallery checks, no tips), so screenshots and
 * selectors see the same thing on every run.
 */
export const HARNESS_DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'window.commandCenter': false,
  'git.enabled': false,
};

export interface CodeServerOptions {
  /** Folder (or .code-workspace) to open; passed as code-server's path argument and used in workbench URLs. */
  folder?: string;
  /**
   * Default extensionDevelopmentPath(s) put in workbench URLs: web VS Code takes them from the URL
   * payload, not from the server's command line. Verified: a payload with only this (no
   * extensionTestsPath) opens a normal workbench with the extension loaded from disk.
   */
  extensionDevelopmentPath?: string | string[];
  /** Given dirs are used as is (created if missing); otherwise fresh temp dirs, removed by stop(). */
  userDataDir?: string;
  extensionsDir?: string;
  /**
   * Written to <user-data-dir>/User/settings.json before start. Merged as
   * HARNESS_DEFAULT_SETTINGS < settings already in that file < userSettings.
   */
  userSettings?: Record<string, unknown>;
  /**
   * Written to <user-data-dir>/Machine/settings.json before start: the settings of the server's
   * machine, where a remote window (the workbench of code-server is one) reads machine-scoped
   * settings such as sparkObservatory.sources. From user settings it applied them on some loads
   * and dropped them on others after a window reload (seen in 2 of 7 reloads); these always hold.
   * Tests that reload the window put their sources here.
   */
  machineSettings?: Record<string, unknown>;
  /** false (default): pass --disable-workspace-trust. true: leave Workspace Trust on, for trust tests. */
  workspaceTrust?: boolean;
  /** Fixed port; default: a free one. */
  port?: number;
  /** Extra environment for the server (and so for the extension host it spawns). */
  env?: NodeJS.ProcessEnv;
  /** true: let the server resolve the login shell's environment (slow, depends on ~/.bashrc). Default false. */
  resolveShellEnv?: boolean;
  /** Extra CLI arguments for code-server (e.g. ['--log', 'trace']). */
  extraArgs?: string[];
  /** How long to wait for HTTP to answer. Default 60 s. */
  startTimeoutMs?: number;
  /** Called with each line the server prints (default: kept in memory, see output()). */
  onOutput?: (line: string) => void;
}

export interface WorkbenchUrlOptions {
  /** Folder to open; default the server's folder. null: open no folder. */
  folder?: string | null;
  /** default the server's extensionDevelopmentPath; null: none. */
  extensionDevelopmentPath?: string | string[] | null;
  /** Set for extension tests: absolute path of the compiled test runner module (its run()). */
  extensionTestsPath?: string;
  skipWelcome?: boolean;
}

export interface CodeServer {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  readonly pid: number;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly folder?: string;
  readonly extensionDevelopmentPath?: string[];
  /** vscode-remote://127.0.0.1:PORT/abs/path: how the browser workbench names a file on this server. */
  remoteUri(absPath: string): string;
  /** URL that opens the workbench; with the payload when extensionDevelopmentPath/extensionTestsPath are set. */
  workbenchUrl(opts?: WorkbenchUrlOptions): string;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /**
   * Replaces User/settings.json (HARNESS_DEFAULT_SETTINGS < settings). An open workbench does not
   * apply it until it is loaded again (page.reload()); use setLiveSettings for live changes.
   */
  setUserSettings(settings: Record<string, unknown>): void;
  /**
   * Replaces Machine/settings.json, which a running code-server applies live (about 1 s) and
   * which overrides user settings. {} removes every override.
   */
  setLiveSettings(settings: Record<string, unknown>): void;
  /** Kills the whole process tree, waits until the port is free, removes temp dirs. Idempotent. */
  stop(): Promise<void>;
}

// Every live server, so that an exiting or signalled test process still kills them.
const live = new Set<{ pid: number; kill: () => void }>();
let handlersInstalled = false;
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const killAll = () => {
    for (const s of live) s.kill();
    live.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      killAll();
      // A handler for a signal replaces Node's default (exit), so exit here, with the usual
      // 128+n code. Deferred so that other listeners of the signal (e.g. Playwright's, the
      // launcher's) run first; Playwright kills its browsers synchronously on 'exit'.
      setImmediate(() => process.exit(128 + (os.constants.signals[sig] ?? 1)));
    };
    process.on(sig, handler);
  }
}

/** All descendants of pid, read from /proc (children first found, deepest last). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 (ppid) comes after "pid (comm) state"; comm may contain spaces, so cut at the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(rest[1]));
    } catch {
      /* process went away while reading */
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

/**
 * Sends a signal to the server's process group and to `extra` pids: descendants that left the
 * group (node-pty terminals call setsid, so shells started in the workbench have their own
 * sessions). Collect those with descendants() while the server still runs: once a parent dies
 * its children are re-parented and can no longer be found from the server's pid.
 */
function signalTree(pid: number, extra: number[], signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* group already gone */
  }
  for (const p of extra) {
    try {
      process.kill(p, signal);
    } catch {
      /* already gone */
    }
  }
}

function descendantsSafe(pid: number): number[] {
  try {
    return descendants(pid);
  } catch {
    return []; // no /proc: the group signal still reaches the server and its extension host
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves true once something answers HTTP on the port. */
function httpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', () => resolve(true));
  });
}


/** Starts code-server and resolves once it answers HTTP. On any failure everything started is stopped. */
export async function startCodeServer(opts: CodeServerOptions = {}): Promise<CodeServer> {
  const entry = codeServerEntry();
  installExitHandlers();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'so-code-server-'));
  const userDataDir = path.resolve(opts.userDataDir ?? path.join(base, 'user-data'));
  const extensionsDir = path.resolve(opts.extensionsDir ?? path.join(base, 'extensions'));
  // Our own config file: without one code-server writes ~/.config/code-server/config.yaml with a password.
  const configFile = path.join(base, 'config.yaml');
  try {
    fs.mkdirSync(userDataDir, { recursive: true });
    fs.mkdirSync(extensionsDir, { recursive: true });
    writeUserSettings(userDataDir, { ...HARNESS_DEFAULT_SETTINGS, ...readUserSettings(userDataDir), ...(opts.userSettings ?? {}) });
    if (opts.machineSettings) writeMachineSettings(userDataDir, opts.machineSettings);
    fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  } catch (e) {
    fs.rmSync(base, { recursive: true, force: true });
    throw e;
  }
  const folder = opts.folder ? path.resolve(opts.folder) : undefined;
  const toPaths = (p: string | string[] | null | undefined) => (p == null ? [] : Array.isArray(p) ? p : [p]).map((x) => path.resolve(x));
  const devPaths = toPaths(opts.extensionDevelopmentPath);
  const startTimeout = opts.startTimeoutMs ?? 60_000;

  let attempt = 0;
  for (;;) {
    attempt++;
    const port = opts.port ?? (await freePort());
    const args = [
      entry,
      '--config', configFile,
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--user-data-dir', userDataDir,
      '--extensions-dir', extensionsDir,
      ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
      ...(opts.extraArgs ?? []),
      ...(folder ? [folder] : []),
    ];
    const env: NodeJS.ProcessEnv = { ...process.env, ...(opts.env ?? {}) };
    // The server resolves the "user shell environment" for its extension host by running an
    // interactive login shell (bash -ilc) with a 10 s timeout. Here a slow ~/.bashrc (pyenv
    // rehash waiting on a lock) made every start wait those 10 s. VS Code skips it when launched
    // from its CLI (VSCODE_CLI=1), and the extension host then gets this process's environment,
    // which is also the deterministic choice for tests.
    if (!opts.resolveShellEnv) env.VSCODE_CLI = '1';
    // Inside a VS Code terminal this variable makes code-server hand the folder to that VS Code
    // instead of starting a server of its own.
    delete env.VSCODE_IPC_HOOK_CLI;
    // detached: its own process group, so stop() can kill the server, its extension host and
    // helpers with one signal, and a Ctrl+C in the terminal goes through our handlers.
    const child: ChildProcess = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    if (!pid) throw new Error(`could not spawn ${process.execPath} ${entry}`);
    let out = '';
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      // Keep the last 1 MB: enough for any error, bounded for long runs.
      out = (out + text).slice(-1_000_000);
      if (opts.onOutput) for (const line of text.split('\n')) if (line.trim()) opts.onOutput(line);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exitPromise = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        exited = { code, signal };
        resolve();
      }),
    );
    const entryRec = {
      pid,
      // Synchronous on purpose: it also runs from process.on('exit').
      kill: () => {
        signalTree(pid, descendantsSafe(pid), 'SIGKILL');
        try {
          fs.rmSync(base, { recursive: true, force: true });
        } catch {
          /* best effort while the killed processes go away */
        }
      },
    };
    live.add(entryRec);

    // Stops the processes and waits for the port; temp dirs stay (a retry reuses them).
    let terminated = false;
    const terminate = async (): Promise<void> => {
      if (terminated) return;
      terminated = true;
      const tree = descendantsSafe(pid);
      if (!exited) {
        signalTree(pid, tree, 'SIGTERM');
        // Its exit, or 5 s of grace before SIGKILL.
        let grace: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([exitPromise, new Promise((r) => (grace = setTimeout(r, 5000)))]);
        clearTimeout(grace);
      }
      // Whatever is still there (stragglers of the group, descendants in other sessions) gets SIGKILL.
      signalTree(pid, [...tree, ...descendantsSafe(pid)], 'SIGKILL');
      live.delete(entryRec);
      await waitFor(async () => (await portIsFree(port)) || undefined, { what: `port ${port} free after code-server (pid ${pid}) stopped`, timeoutMs: 10_000, intervalMs: 100 });
    };
    const stop = async (): Promise<void> => {
      await terminate();
      // base holds only what we created (temp dirs, config); dirs the caller gave live elsewhere.
      fs.rmSync(base, { recursive: true, force: true, maxRetries: 3 });
    };

    const ready = await waitFor(async () => (exited ? 'exited' : (await httpAnswers(port)) ? 'ready' : undefined), { what: 'code-server answering HTTP', timeoutMs: startTimeout, intervalMs: 150 })
      .then((r) => r === 'ready', () => false);
    if (ready) {
      const origin = `http://127.0.0.1:${port}`;
      const remoteUri = (p: string) => `vscode-remote://127.0.0.1:${port}${path.resolve(p)}`;
      return {
        port,
        origin,
        pid,
        userDataDir,
        extensionsDir,
        folder,
        extensionDevelopmentPath: devPaths.length ? devPaths : undefined,
        remoteUri,
        workbenchUrl(u: WorkbenchUrlOptions = {}) {
          const f = u.folder === undefined ? folder : u.folder;
          const dev = u.extensionDevelopmentPath === undefined ? devPaths : toPaths(u.extensionDevelopmentPath);
          const payload: [string, string][] = [];
          for (const d of dev) payload.push(['extensionDevelopmentPath', remoteUri(d)]);
          if (u.extensionTestsPath) payload.push(['extensionTestsPath', remoteUri(u.extensionTestsPath)]);
          if (u.skipWelcome ?? true) payload.push(['skipWelcome', 'true']);
          const q = new URLSearchParams();
          if (f) q.set('folder', path.resolve(f));
          if (dev.length || u.extensionTestsPath) q.set('payload', JSON.stringify(payload));
          const qs = q.toString();
          return `${origin}/${qs ? `?${qs}` : ''}`;
        },
        output: () => out,
        setUserSettings(settings) {
          writeUserSettings(userDataDir, { ...HARNESS_DEFAULT_SETTINGS, ...settings });
        },
        setLiveSettings(settings) {
          writeMachineSettings(userDataDir, settings);
        },
        stop,
      };
    }
    const why = exited
      ? `exited with ${exited.code ?? exited.signal} before answering`
      : `did not answer HTTP on 127.0.0.1:${port} within ${startTimeout} ms`;
    const portTaken = /EADDRINUSE/.test(out);
    await terminate().catch(() => undefined);
    if (portTaken && !opts.port && attempt < 3) continue; // lost the free-port race: pick another
    fs.rmSync(base, { recursive: true, force: true, maxRetries: 3 });
    throw new Error(`code-server ${why}.\n--- code-server output ---\n${out.slice(-4000)}`);
  }
}

/**
 * Installs a .vsix into an extensions dir with code-server's own CLI, as a user would
 * (`entry.js --extensions-dir DIR --install-extension file.vsix`). Returns the CLI output;
 * throws with that output when it does not report success.
 */
export function installVsix(vsixPath: string, extensionsDir: string, userDataDir?: string): string {
  const entry = codeServerEntry();
  if (!fs.existsSync(vsixPath)) throw new Error(`vsix not found: ${vsixPath}`);
  fs.mkdirSync(extensionsDir, { recursive: true });
  const tmpUdd = userDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'so-vsix-udd-'));
  const env = { ...process.env };
  delete env.VSCODE_IPC_HOOK_CLI;
  try {
    const r = spawnSync(
      process.execPath,
      [entry, '--user-data-dir', tmpUdd, '--extensions-dir', path.resolve(extensionsDir), '--install-extension', path.resolve(vsixPath), '--force'],
      { env, encoding: 'utf8', timeout: 120_000 },
    );
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0 || !/successfully installed/i.test(output)) {
      throw new Error(`installing ${vsixPath} failed (exit ${r.status ?? r.signal ?? r.error?.message}):\n${output}`);
    }
    return output;
  } finally {
    if (!userDataDir) fs.rmSync(tmpUdd, { recursive: true, force: true });
  }
}

/** User settings for UI tests from the JSON file named by env SO_TEST_SETTINGS, or {}. */
export function testSettingsFromEnv(): Record<string, unknown> {
  const file = process.env.SO_TEST_SETTINGS;
  if (!file) return {};
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`SO_TEST_SETTINGS=${file}: ${(e as Error).message}`);
  }
}

/** `publisher.name@version` of every extension in an extensions dir, from code-server's CLI. */
export function listExtensions(extensionsDir: string): string[] {
  const entry = codeServerEntry();
  const tmpUdd = fs.mkdtempSync(path.join(os.tmpdir(), 'so-list-udd-'));
  const env = { ...process.env };
  delete env.VSCODE_IPC_HOOK_CLI;
  try {
    const r = spawnSync(process.execPath, [entry, '--user-data-dir', tmpUdd, '--extensions-dir', path.resolve(extensionsDir), '--list-extensions', '--show-versions'], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`--list-extensions failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
    return r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^[\w-]+\.[\w-]+@/.test(l));
  } finally {
    fs.rmSync(tmpUdd, { recursive: true, force: true });
  }
}

/** True while a process with this pid exists (exported for tests of the harness itself). */
export { isAlive };
