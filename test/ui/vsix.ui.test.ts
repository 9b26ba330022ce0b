/**
 * UI test of the packaged extension as users get it: dist/spark-observatory.vsix (npm run
 * package) installed with code-server's own `--install-extension` into a fresh extensions dir,
 * and a workbench started WITHOUT extensionDevelopmentPath.
 *
 *   npm run package && npm run compile-tests && node --test out/test/ui/
 *
 * A missing vsix is a failure, never a skip. SO_VSIX overrides the path; SO_TEST_SETTINGS as in
 * workbench.ui.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  REPO_ROOT,
  launchBrowser,
  openViewContainer,
  openWorkbench,
  screenshot,
  screenshotOnFailure,
  waitForViewContent,
  waitForExtensionStatusItem,
  waitForView,
  type BrowserSession,
} from '../harness/browser';
import { installVsix, listExtensions, startCodeServer, testSettingsFromEnv, type CodeServer } from '../harness/codeServer';

const EXTENSION_ID = 'spark-observatory.spark-observatory';

describe('packaged extension (vsix)', () => {
  let server: CodeServer | undefined;
  let session: BrowserSession | undefined;
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'so-vsix-test-'));

  after(async () => {
    await session?.close();
    await server?.stop();
    fs.rmSync(temp, { recursive: true, force: true });
  });

  it('installs with --install-extension, activates and shows the Spark view', async () => {
    const vsix = path.resolve(process.env.SO_VSIX ?? path.join(REPO_ROOT, 'dist', 'spark-observatory.vsix'));
    assert.ok(fs.existsSync(vsix), `${vsix} does not exist: build it with \`npm run package\` before the UI tests (this test does not skip)`);
    const version = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;

    const extensionsDir = path.join(temp, 'extensions');
    const output = installVsix(vsix, extensionsDir);
    assert.match(output, /successfully installed/i);
    assert.deepEqual(
      listExtensions(extensionsDir).filter((e) => e.toLowerCase().startsWith(`${EXTENSION_ID}@`)),
      [`${EXTENSION_ID}@${version}`],
      'the installed extension (id@version) does not match package.json',
    );

    const folder = path.join(temp, 'workspace');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'job.py'), 'df = spark.range(10)\ndf.cache()\n');
    server = await startCodeServer({ folder, extensionsDir, userSettings: testSettingsFromEnv() });
    session = await launchBrowser({
      onConsole: (line) => {
        if (line.source === 'extension-host') console.log(`[ext host] ${line.text}`);
      },
    });
    const page = session.page;
    // No payload: the plain workbench URL, as a user opens it.
    const url = server.workbenchUrl();
    assert.ok(!url.includes('payload='), `expected a URL without a development payload: ${url}`);
    await openWorkbench(page, url);

    await screenshotOnFailure(page, 'vsix-spark-view', async () => {
      await openViewContainer(page, 'Spark');
      await waitForView(page, 'Applications');
      // The status-bar item is created by the extension's activate(): proof it ran from the vsix.
      const item = await waitForExtensionStatusItem(page, EXTENSION_ID);
      assert.match(item.text, /Spark/);
      // Right after activation the view may be between states (its first poll in flight):
      // wait until it shows applications or its welcome text.
      const content = await waitForViewContent(page, 'Applications', /No Spark application found/);
      // The title shows "[Extension Development Host]" only for development windows.
      assert.doesNotMatch(await page.title(), /Extension Development Host/);
      console.log(`Applications view: ${JSON.stringify(content)}`);
      console.log(`screenshot: ${await screenshot(page, 'vsix-spark-view')}`);
    });
  });
});
