/**
 * Drives the real VS Code workbench (served by code-server, see codeServer.ts) in Debian's
 * Chromium through playwright-core. Playwright's own browser downloads are not reachable here,
 * so the browser is always /usr/bin/chromium (SO_CHROMIUM overrides).
 *
 * Selectors below were checked against VS Code 1.100.3's workbench; they are the workbench's
 * own class names and ARIA labels, which is what a person's screen reader sees too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format, inspect } from 'node:util';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Frame, type Page } from 'playwright-core';
import { readMachineSettings, type CodeServer } from './codeServer';
import { waitFor } from './wait';

// Webview frames: webview.ts (re-exported, so tests import every workbench helper from here).
export { waitForThemedCanvases, webviewFrame } from './webview';

// Compiled to out/test/harness/, so the repo root is three levels up (two from test/harness/).
const up2 = path.resolve(__dirname, '..', '..');
export const REPO_ROOT = path.basename(up2) === 'out' ? path.dirname(up2) : up2;
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'screenshots');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Closes the browser (and with it the temporary profile Playwright created). Idempotent. */
  close(): Promise<void>;
}

const consoleChains = new WeakMap<Page, () => Promise<void>>();
/** Resolves once every console message received so far has been passed to onConsole. */
export async function flushConsole(page: Page): Promise<void> {
  await consoleChains.get(page)?.();
}

export interface LaunchOptions {
  viewport?: { width: number; height: number };
  /** Default true; SO_HEADFUL=1 shows the window (needs a display). */
  headless?: boolean;
  /** Gets the page's console, which carries the extension host's console in web VS Code (see parseConsole). */
  onConsole?: (line: ConsoleLine, msg: ConsoleMessage) => void;
}

/**
 * Launches Chromium with a fresh profile (Playwright's launch() always uses a new temporary
 * user-data-dir and deletes it on close) and one page.
 */
export async function launchBrowser(opts: LaunchOptions = {}): Promise<BrowserSession> {
  const executablePath = process.env.SO_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: install Debian's chromium (scripts/provision.sh) or set SO_CHROMIUM`);
  }
  const browser = await chromium.launch({
    executablePath,
    args: CHROMIUM_ARGS,
    headless: opts.headless ?? process.env.SO_HEADFUL !== '1',
  });
  try {
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
    const page = await context.newPage();
    if (opts.onConsole) {
      const cb = opts.onConsole;
      // Chained so lines come out in the order they were logged, although unstyling is async.
      let chain = Promise.resolve();
      page.on('console', (msg) => {
        chain = chain.then(() => parseConsole(msg)).then((line) => cb(line, msg)).catch(() => undefined);
      });
      consoleChains.set(page, () => chain);
    }
    let closed = false;
    return {
      browser,
      context,
      page,
      async close() {
        if (closed) return;
        closed = true;
        await browser.close().catch(() => undefined);
      },
    };
  } catch (e) {
    await browser.close().catch(() => undefined);
    throw e;
  }
}

/** Prefix the workbench puts on console lines that come from the extension host (normal windows). */
export const EXTENSION_HOST_PREFIX = '[Extension Host] ';

/**
 * Marker the extension-test runner (test/vscode/suite/index.ts) puts in front of every console
 * line of the extension host when env SO_CONSOLE_MARK is set (the launcher sets it). Needed
 * because in a window that runs extension tests the workbench does not label the extension
 * host's console: it sends it to its log service, which prints it like its own log lines
 * (`%c INFO`), and those would otherwise be indistinguishable from the workbench's.
 */
export const CONSOLE_MARK = '<<so-ext-host>>';

export interface ConsoleLine {
  /** Where the line came from: the extension host (its console), or the workbench itself. */
  source: 'extension-host' | 'workbench';
  /** Text without styling or markers, with printf-style placeholders (%s, %d) filled in. */
  text: string;
}

/**
 * Reads a console message of the workbench page. Seen in VS Code 1.100.3 web:
 *  - normal window: `console.log("%c[Extension Host] %c<text>", "color: blue", "color: ")`
 *  - extension-test window: `console.log("%c INFO", "color: #33f", fmt, ...args)` where fmt/args
 *    are the extension host's original console arguments (mocha: "    ✔ %s", title).
 */
export async function parseConsole(msg: ConsoleMessage): Promise<ConsoleLine> {
  let values: unknown[];
  try {
    values = await Promise.all(msg.args().map((a) => a.jsonValue()));
  } catch {
    return { source: 'workbench', text: msg.text() };
  }
  if (values.length === 0 || typeof values[0] !== 'string') return { source: 'workbench', text: msg.text() };
  const fmt = values[0];
  const show = (v: unknown) => (typeof v === 'string' ? v : inspect(v));
  let head: string;
  let rest: unknown[];
  if (fmt.includes('%c')) {
    head = fmt.replace(/%c/g, '');
    rest = values.slice(1 + (fmt.split('%c').length - 1));
  } else {
    head = format(fmt, ...values.slice(1));
    rest = [];
  }
  const tail = rest.length === 0 ? '' : typeof rest[0] === 'string' ? format(rest[0], ...rest.slice(1)) : rest.map(show).join(' ');
  const trimmedHead = head.trimStart();
  if (trimmedHead.startsWith(EXTENSION_HOST_PREFIX)) {
    return { source: 'extension-host', text: `${trimmedHead.slice(EXTENSION_HOST_PREFIX.length)}${tail ? ` ${tail}` : ''}`.trimEnd() };
  }
  if (tail.startsWith(CONSOLE_MARK)) {
    // A non-string first argument was logged as (MARK, value): util.format adds one space.
    const t = tail.slice(CONSOLE_MARK.length);
    return { source: 'extension-host', text: rest[0] === CONSOLE_MARK && t.startsWith(' ') ? t.slice(1) : t };
  }
  return { source: 'workbench', text: `${head.trim()}${tail ? ` ${tail}` : ''}` };
}

/** Opens the workbench URL and waits until the workbench is laid out and its activity bar is there. */
export async function openWorkbench(page: Page, url: string, timeoutMs = 90_000): Promise<void> {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: timeoutMs });
}

/** Saves a full-window PNG as test-results/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Shows the view container whose activity-bar entry is labelled `title` (e.g. "Spark").
 * The activity bar toggles: clicking an already open container would close the side bar, so
 * it only clicks when the container is not the one shown. Waits for the entry to appear, which
 * happens once the extension host has read the extension's contributions.
 */
export async function openViewContainer(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  const item = page.locator(`.part.activitybar li.action-item:has(a.action-label[aria-label="${title}"]), ` +
    `.part.activitybar li.action-item:has(a.action-label[aria-label^="${title} ("])`).first();
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  const isOpen = async () => (await item.getAttribute('aria-expanded')) === 'true' || /\bchecked\b/.test((await item.getAttribute('class')) ?? '');
  if (!(await isOpen())) {
    await item.click();
    // Move away so the activity bar's hover ("Spark") does not end up in screenshots.
    await page.mouse.move(Math.floor((page.viewportSize()?.width ?? 1400) / 2), Math.floor((page.viewportSize()?.height ?? 900) / 2));
  }
  await page.waitForFunction(
    (t) => {
      const h = document.querySelector('.part.sidebar .composite.title h2');
      return !!h && (h.textContent ?? '').toLowerCase().startsWith(t.toLowerCase());
    },
    title,
    { timeout: timeoutMs },
  );
}

/** The view pane (inside the side bar or panel) titled `viewName`, e.g. "Applications". */
export function viewPane(page: Page, viewName: string) {
  return page.locator(`.pane:has(> .pane-header [aria-label^="${viewName}"]), .pane:has(> .pane-header h3.title:text-is("${viewName}"))`).first();
}

/** Waits until a view named `viewName` is shown in the side bar; returns its pane. */
export async function waitForView(page: Page, viewName: string, timeoutMs = 30_000) {
  const pane = viewPane(page, viewName);
  await pane.waitFor({ state: 'visible', timeout: timeoutMs });
  return pane;
}

/**
 * Texts of the rows of a tree/list (`.monaco-list-row`), scoped to the view `viewName` when given,
 * otherwise to the whole side bar. Each row's visible text, whitespace collapsed.
 */
export async function treeRows(page: Page, viewName?: string): Promise<string[]> {
  const scope = viewName ? viewPane(page, viewName) : page.locator('.part.sidebar');
  const texts = await scope.locator('.monaco-list-row').allInnerTexts();
  return texts.map((t) => t.replace(/\s+/g, ' ').trim());
}

/**
 * Waits until a tree row's text matches (a substring or a RegExp) and returns that text: the
 * one-liner for "the running Spark application's name appears in the tree".
 */
export async function waitForTreeRow(page: Page, match: string | RegExp, viewName?: string, timeoutMs = 60_000): Promise<string> {
  let last: string[] = [];
  return waitFor(
    async () => {
      last = await treeRows(page, viewName);
      return last.find((t) => (typeof match === 'string' ? t.includes(match) : match.test(t)));
    },
    { what: `a tree row matching ${String(match)}${viewName ? ` in view "${viewName}"` : ''}`, timeoutMs, intervalMs: 250 },
  ).catch((e: Error) => {
    throw new Error(`${e.message}; rows: ${JSON.stringify(last)}`);
  });
}

/**
 * What a tree view shows: its rows, or, when it is empty, its welcome content (the
 * `viewsWelcome` text, buttons included, e.g. "No Spark application found. … Add Source Refresh").
 */
export async function viewContent(page: Page, viewName: string): Promise<{ rows: string[]; welcome: string }> {
  const pane = viewPane(page, viewName);
  const rows = await treeRows(page, viewName);
  const welcomeEl = pane.locator('.pane-body.welcome .welcome-view-content');
  // The welcome text may go between the check and the read (the first poll's rows replace it):
  // a short read that gives up, not Playwright's 30 s wait for an element that is gone.
  const welcome = (await welcomeEl.count()) > 0 && (await welcomeEl.first().isVisible())
    ? ((await welcomeEl.first().innerText({ timeout: 1000 }).catch(() => '')) ?? '').replace(/\s+/g, ' ').trim()
    : '';
  return { rows, welcome };
}

/**
 * Waits until a tree view has settled on rows or its welcome text: right after activation it
 * can be between the two (its first poll in flight). Returns what it shows then.
 */
export async function waitForViewContent(page: Page, viewName: string, welcome: RegExp, timeoutMs = 30_000): Promise<{ rows: string[]; welcome: string }> {
  let last = { rows: [] as string[], welcome: '' };
  return waitFor(
    async () => {
      last = await viewContent(page, viewName);
      return last.rows.length > 0 || welcome.test(last.welcome) ? last : undefined;
    },
    { what: `the ${viewName} view showing rows or its welcome text`, timeoutMs },
  ).catch((e: Error) => {
    throw new Error(`${e.message}; it shows ${JSON.stringify(last)}`);
  });
}

export interface StatusBarItem {
  /** The element id: `${extensionId}.${itemId}` for items created by extensions (e.g. "spark-observatory.spark-observatory.sparkObservatory.status"). */
  id: string;
  text: string;
  ariaLabel: string;
}

/** Every status-bar item shown. An item whose id starts with an extension's id proves that extension ran. */
export async function statusBarItems(page: Page): Promise<StatusBarItem[]> {
  return page.locator('.part.statusbar .statusbar-item').evaluateAll((els) =>
    els.map((e) => ({ id: e.id, text: (e.textContent ?? '').replace(/\s+/g, ' ').trim(), ariaLabel: e.getAttribute('aria-label') ?? '' })),
  );
}

/** Waits for a status-bar item created by the extension `extensionId` (i.e. until it has activated). */
export async function waitForExtensionStatusItem(page: Page, extensionId: string, timeoutMs = 60_000): Promise<StatusBarItem> {
  let items: StatusBarItem[] = [];
  return waitFor(
    async () => {
      items = await statusBarItems(page);
      return items.find((i) => i.id.toLowerCase().startsWith(`${extensionId.toLowerCase()}.`));
    },
    { what: `a status-bar item of ${extensionId} (has it activated?)`, timeoutMs, intervalMs: 250 },
  ).catch((e: Error) => {
    throw new Error(`${e.message}; items: ${JSON.stringify(items.map((i) => i.id))}`);
  });
}

/** Runs fn; if it throws, saves a screenshot `<name>-failure` first (its path is added to the error message). */
export async function screenshotOnFailure<T>(page: Page, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const file = await screenshot(page, `${name}-failure`).catch(() => undefined);
    if (file && e instanceof Error) e.message += `\n(screenshot: ${file})`;
    throw e;
  }
}

/**
 * Runs a command through the command palette as a person does: Control+Shift+P, type the
 * label (e.g. "Spark: Refresh"), Enter on the entry whose label matches exactly.
 */
export async function runCommand(page: Page, label: string, timeoutMs = 30_000): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  // Focus the workbench first: key presses go nowhere while focus is in a webview or outside.
  await page.locator('.monaco-workbench').focus().catch(() => undefined);
  await page.keyboard.press('Control+Shift+P');
  await widget.waitFor({ state: 'visible', timeout: timeoutMs });
  const input = widget.locator('.quick-input-box input');
  await input.fill(`>${label}`);
  // Exact label match, so that "Spark: Refresh" does not run "Spark: Refresh All".
  const row = widget.locator('.quick-input-list .monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }),
  }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
  await widget.waitFor({ state: 'hidden', timeout: timeoutMs });
}

/**
 * Runs a command that asks with a quick pick (e.g. "Spark: Open Dashboard"), then picks the
 * first item whose text holds every one of `texts` (runCommand would wait for the palette to close).
 */
export async function runCommandAndPick(page: Page, label: string, texts: readonly (string | RegExp)[], timeoutMs = 60_000): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await page.locator('.monaco-workbench').focus().catch(() => undefined);
  await page.keyboard.press('Control+Shift+P');
  await widget.locator('.quick-input-box input').fill(`>${label}`);
  await widget.locator('.quick-input-list .monaco-list-row .label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }).first().click();
  let row = widget.locator('.quick-input-list .monaco-list-row');
  for (const t of texts) row = row.filter({ hasText: t });
  await row.first().click({ timeout: timeoutMs });
  await widget.waitFor({ state: 'hidden', timeout: timeoutMs });
}

/**
 * Reloads the window as a person does ("Developer: Reload Window"): the workbench shuts down
 * cleanly and saves its editors and webview states first (a bare page.reload() can unload before
 * the web storage is flushed). Resolves when the new workbench shows its activity bar.
 */
export async function reloadWindow(page: Page, timeoutMs = 90_000): Promise<void> {
  // The new document's event, asked for before the reload starts (the old one is loaded already).
  const reloaded = page.waitForEvent('domcontentloaded', { timeout: timeoutMs });
  // The palette closes with the page going away: its own wait for that may fail.
  await runCommand(page, 'Developer: Reload Window').catch(() => undefined);
  await reloaded;
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: timeoutMs });
}

/** Texts of the CodeLens lines shown in the visible editors (`.codelens-decoration`), one per line of lenses ("a | b"). */
export async function codeLensTexts(page: Page): Promise<string[]> {
  const texts = await page.locator('.monaco-editor .codelens-decoration').allInnerTexts();
  return texts.map((t) => t.replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim()).filter((t) => t.length > 0);
}

/** Opens a file of the workspace with Quick Open (Control+P) and waits for its editor tab. */
export async function openFile(page: Page, relativePath: string, timeoutMs = 30_000): Promise<void> {
  await page.locator('.monaco-workbench').focus().catch(() => undefined);
  await page.keyboard.press('Control+P');
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible', timeout: timeoutMs });
  await widget.locator('.quick-input-box input').fill(relativePath);
  const base = path.basename(relativePath);
  await widget.locator('.quick-input-list .monaco-list-row', { hasText: base }).first().waitFor({ timeout: timeoutMs });
  await page.keyboard.press('Enter');
  await page.locator(`.tabs-container .tab[aria-label^="${base}"]`).first().waitFor({ timeout: timeoutMs });
}

export type ThemeKind = 'light' | 'dark' | 'hc-dark' | 'hc-light';
const THEME_BODY_CLASS: Record<ThemeKind, string> = { light: 'vs', dark: 'vs-dark', 'hc-dark': 'hc-black', 'hc-light': 'hc-light' };

/**
 * Sets the colour theme with the setting `workbench.colorTheme` (e.g. "Default Light Modern",
 * "Default Dark Modern") and waits until the workbench shows a theme of `kind`.
 * It goes through the server's live settings (Machine/settings.json, see setLiveSettings),
 * because code-server applies edits of User/settings.json only when the window loads again.
 * To start in a theme instead, pass it in CodeServerOptions.userSettings.
 */
export async function setColorTheme(page: Page, server: CodeServer, theme: string, kind: ThemeKind, timeoutMs = 30_000): Promise<void> {
  server.setLiveSettings({ ...readMachineSettings(server.userDataDir), 'workbench.colorTheme': theme });
  await page.waitForFunction(
    (cls) => document.querySelector('.monaco-workbench')?.classList.contains(cls) ?? false,
    THEME_BODY_CLASS[kind],
    { timeout: timeoutMs },
  );
}

/** Waits until `text` (substring or RegExp) is visible in the page or frame; returns the matched element's text. */
export async function waitForText(scope: Page | Frame, text: string | RegExp, timeoutMs = 30_000): Promise<string> {
  const loc = scope.getByText(text).first();
  await loc.waitFor({ state: 'visible', timeout: timeoutMs });
  return (await loc.innerText()).trim();
}

/** Texts of the notification toasts currently shown (useful to catch activation errors). */
export async function notifications(page: Page): Promise<string[]> {
  return (await page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts()).map((t) => t.trim());
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The `after` decorations of the visible editors (inline hints): VS Code draws them as ::after content of spans in the view lines. */
export async function inlineHintTexts(page: Page): Promise<{ text: string; italic: boolean; color: string }[]> {
  return page.evaluate(() => {
    const out: { text: string; italic: boolean; color: string }[] = [];
    for (const el of Array.from(document.querySelectorAll('.monaco-editor .view-line span'))) {
      const st = getComputedStyle(el, '::after');
      if (!st.content || st.content === 'none' || st.content === 'normal') continue;
      out.push({ text: st.content.replace(/^"|"$/g, '').replace(/\\"/g, '"'), italic: st.fontStyle === 'italic', color: st.color });
    }
    return out;
  });
}
