/**
 * Child process of activation.bench.ts: loads a built dist/extension.js in plain Node with a
 * minimal `vscode` module injected through the module resolver, and times what VS Code times
 * (codeLoadingTime: the require; activateCallTime: the call to activate()). Prints one JSON line.
 *
 * This is "activate() cost outside VS Code": the stub's API calls cost next to nothing, so the
 * figure is our own code's share (module evaluation, object construction), not VS Code's.
 *
 *   node out/test/bench/activationStub.js <dist/extension.js> <extension dir>
 */
import Module, { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

/** Any property, call or `new` answers another one of these: APIs the stub does not model. */
function deep(name: string): object {
  const target = function () {
    /* stub */
  };
  // What the extension assigns (item.text = …, item.name = …) reads back as assigned.
  const assigned = new Map<string | symbol, unknown>();
  return new Proxy(target, {
    set(_t, p, v) {
      assigned.set(p, v);
      return true;
    },
    get(_t, p) {
      if (assigned.has(p)) return assigned.get(p);
      if (p === 'then') return undefined; // not a promise
      if (p === Symbol.toPrimitive) return () => 0;
      if (p === Symbol.iterator) return function* () {};
      if (p === 'dispose') return () => undefined;
      return deep(`${name}.${String(p)}`);
    },
    apply: () => deep(`${name}()`),
    construct: () => deep(`new ${name}`),
  });
}

const event = () => () => ({ dispose() {} });

class EventEmitter<T> {
  private readonly ls = new Set<(e: T) => void>();
  event = (l: (e: T) => void) => {
    this.ls.add(l);
    return { dispose: () => this.ls.delete(l) };
  };
  fire(e: T) {
    for (const l of [...this.ls]) l(e);
  }
  dispose() {
    this.ls.clear();
  }
}

class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  get fsPath() {
    return this.path;
  }
  static file(p: string) {
    return new Uri('file', p);
  }
  static parse(s: string) {
    return new Uri(s.split(':')[0] || 'file', s);
  }
  static joinPath(u: Uri, ...parts: string[]) {
    return new Uri(u.scheme, path.posix.join(u.path, ...parts));
  }
  with() {
    return this;
  }
  toString() {
    return `${this.scheme}://${this.path}`;
  }
}

/** Methods the stub does not model are no-ops that return `this` (MarkdownString.appendText(…).appendCodeblock(…)). */
const chainable = new Proxy(
  {},
  {
    get: (_t, p) => {
      if (typeof p === 'symbol' || p === 'then') return undefined;
      if (p in Object.prototype) return (Object.prototype as Record<string, unknown>)[p];
      return function (this: unknown) {
        return this;
      };
    },
  },
);

/** A fresh class per API class (TreeItem, ThemeIcon, …): keeps constructor arguments, chains unknown methods. */
function plain(): new (...args: unknown[]) => object {
  class Plain {
    constructor(...args: unknown[]) {
      Object.assign(this, { args });
    }
  }
  Object.setPrototypeOf(Plain.prototype, chainable);
  return Plain;
}

class Disposable {
  constructor(private readonly fn?: () => void) {}
  static from(...ds: { dispose(): unknown }[]) {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
  dispose() {
    this.fn?.();
  }
}

const configuration = { get: (_k: string, d?: unknown) => d, has: () => false, inspect: () => undefined, update: async () => undefined };
const memento = { get: (_k: string, d?: unknown) => d, update: async () => undefined, keys: () => [], setKeysForSync: () => undefined };

const vscodeStub: Record<string, unknown> = {
  EventEmitter,
  Uri,
  Disposable,
  TreeItem: plain(),
  ThemeIcon: Object.assign(plain(), { File: {}, Folder: {} }),
  ThemeColor: plain(),
  Range: plain(),
  Position: plain(),
  Selection: plain(),
  CodeLens: plain(),
  Hover: plain(),
  MarkdownString: plain(),
  RelativePattern: plain(),
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ViewColumn: { Active: -1, Beside: -2, One: 1 },
  DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  DecorationRangeBehavior: { OpenOpen: 0, ClosedClosed: 1 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  UIKind: { Desktop: 1, Web: 2 },
  ExtensionMode: { Production: 1, Development: 2, Test: 3 },
  workspace: new Proxy(
    {
      getConfiguration: () => configuration,
      isTrusted: true,
      textDocuments: [],
      workspaceFolders: undefined,
      onDidChangeConfiguration: event(),
      onDidCloseTextDocument: event(),
      onDidOpenTextDocument: event(),
      onDidChangeTextDocument: event(),
      onDidSaveTextDocument: event(),
      onDidChangeWorkspaceFolders: event(),
      onDidGrantWorkspaceTrust: event(),
    } as Record<string | symbol, unknown>,
    { get: (t, p) => (p in t ? t[p] : deep(`workspace.${String(p)}`)) },
  ),
  window: new Proxy(
    {
      state: { focused: true },
      visibleTextEditors: [],
      activeTextEditor: undefined,
      createOutputChannel: () => deep('outputChannel'),
      createTreeView: () => deep('treeView'),
      onDidChangeWindowState: event(),
      onDidChangeVisibleTextEditors: event(),
      onDidChangeActiveTextEditor: event(),
      onDidCloseTerminal: event(),
    } as Record<string | symbol, unknown>,
    { get: (t, p) => (p in t ? t[p] : deep(`window.${String(p)}`)) },
  ),
  env: { appHost: 'node-stub', uiKind: 1, openExternal: async () => true, clipboard: { writeText: async () => undefined } },
  // esbuild's __toESM copies the module's own keys, so every namespace must exist as a key.
  commands: deep('commands'),
  languages: deep('languages'),
  extensions: deep('extensions'),
  tasks: deep('tasks'),
  debug: deep('debug'),
  l10n: deep('l10n'),
  CancellationTokenSource: plain(),
  Diagnostic: plain(),
};
const stub = new Proxy(vscodeStub, { get: (t, p) => (p in t ? t[p as string] : deep(String(p))) });

function main(): void {
  const [bundle, extDir] = process.argv.slice(2);
  if (!bundle || !extDir) throw new Error('usage: activationStub.js <dist/extension.js> <extension dir>');
  // `require('vscode')` inside the bundle resolves to the stub.
  const fakePath = path.join(os.tmpdir(), 'so-bench-vscode-stub.js');
  const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
  const resolve = M._resolveFilename;
  M._resolveFilename = (req: string, ...rest: unknown[]) => (req === 'vscode' ? fakePath : resolve(req, ...rest));
  const m = new Module(fakePath);
  m.exports = stub;
  m.loaded = true;
  require.cache[fakePath] = m;

  const secrets = { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: event() };
  const context = {
    subscriptions: [] as { dispose(): unknown }[],
    extensionUri: Uri.file(extDir),
    extensionPath: extDir,
    globalStorageUri: Uri.file(path.join(os.tmpdir(), 'so-bench-global')),
    storageUri: undefined,
    logUri: Uri.file(path.join(os.tmpdir(), 'so-bench-log')),
    globalState: memento,
    workspaceState: memento,
    secrets,
    extensionMode: 1,
    environmentVariableCollection: deep('environmentVariableCollection'),
    asAbsolutePath: (p: string) => path.join(extDir, p),
  };

  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ext = createRequire(__filename)(bundle) as { activate(ctx: unknown): unknown };
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  ext.activate(context);
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  const cpu = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user - a.user + b.system - a.system) / 1000;
  process.stdout.write(JSON.stringify({ loadMs: t1 - t0, activateMs: t2 - t1, loadCpuMs: cpu(c0, c1), activateCpuMs: cpu(c1, c2) }) + '\n');
  // The store's first poll is on a timer: leave before it runs (nothing after activate is timed).
  process.exit(0);
}

if (require.main === module) main();
