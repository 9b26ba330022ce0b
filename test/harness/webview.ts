/**
 * Webviews in the workbench (code-server + Chromium): finding a webview's frame by its title,
 * and waiting on what its canvases drew.
 */
import type { Frame, Page } from 'playwright-core';
import { waitFor } from './wait';

/**
 * The frame with the content of the webview titled `title` (a panel's title or a webview view's
 * name). Seen in VS Code 1.100.3 web: webviews nest two iframes. The workbench's
 * `iframe.webview` (attribute name = a uuid, no title; its page is the webview host
 * .../contrib/webview/browser/pre/index.html, which relays messages) contains
 * `iframe#active-frame`, whose `title` attribute is the webview's title and whose document is the
 * extension's HTML. Page-level locators do not see inside either frame: use the returned Frame.
 */
export async function webviewFrame(page: Page, title: string | RegExp, timeoutMs = 30_000): Promise<Frame> {
  const matches = (t: string) => (typeof title === 'string' ? t === title : title.test(t));
  const find = async (): Promise<Frame | undefined> => {
    for (const outer of page.frames()) {
      const el = await outer.frameElement().catch(() => null);
      if (!el || !(await el.evaluate((e) => (e as HTMLElement).classList.contains('webview')).catch(() => false))) continue;
      const outerTitle = (await el.getAttribute('title').catch(() => null)) ?? '';
      for (const inner of outer.childFrames()) {
        const innerEl = await inner.frameElement().catch(() => null);
        if (!innerEl) continue;
        const innerTitle = (await innerEl.getAttribute('title').catch(() => null)) ?? '';
        const id = (await innerEl.getAttribute('id').catch(() => null)) ?? '';
        if (id === 'active-frame' && (matches(innerTitle) || matches(outerTitle))) return inner;
      }
    }
    return undefined;
  };
  return waitFor(find, { what: `a webview titled ${String(title)}`, timeoutMs, intervalMs: 250 }).catch(async (e: Error) => {
    const titleOf = async (f: Frame) => (await (await f.frameElement().catch(() => null))?.getAttribute('title').catch(() => null)) ?? '';
    const seen = await Promise.all(page.frames().map(async (f) => `${await titleOf(f)}@${f.url().slice(0, 80)}`));
    throw new Error(`${e.message}; frames: ${JSON.stringify(seen)}`);
  });
}

/**
 * Waits until every canvas matched by `selector` in a webview has drawn text in the theme's
 * foreground colour (--vscode-foreground: chart legends use it): the charts were drawn, or drawn
 * again, in the theme the webview has now. Returns how many such pixels each canvas has.
 */
export async function waitForThemedCanvases(frame: Frame, selector: string, timeoutMs = 30_000): Promise<number[]> {
  const inked = await frame.waitForFunction(
    (sel) => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--vscode-foreground)';
      document.body.append(probe);
      const [r, g, b] = (getComputedStyle(probe).color.match(/\d+/g) ?? []).map(Number);
      probe.remove();
      const counts = Array.from(document.querySelectorAll<HTMLCanvasElement>(sel)).map((c) => {
        if (c.width === 0 || c.height === 0) return 0;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] === r && d[i + 1] === g && d[i + 2] === b && d[i + 3] === 255) n++;
        return n;
      });
      return counts.length > 0 && counts.every((n) => n > 0) ? counts : false;
    },
    selector,
    { timeout: timeoutMs, polling: 250 },
  );
  return (await inked.jsonValue()) as number[];
}
