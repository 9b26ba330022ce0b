/**
 * UI test of the extension under development in the real workbench (code-server + Chromium).
 *
 *   npm run compile-tests && node --test out/test/ui/
 *
 * The workbench URL carries only extensionDevelopmentPath in its payload (no extensionTestsPath):
 * a normal window, as a person sees it, with this repo's extension loaded from disk (dist/ must
 * be built: npm run build).
 *
 * Environment:
 *   SO_TEST_SETTINGS  path of a JSON file of user settings (e.g. sparkObservatory.sources)
 *   SO_TEST_FOLDER    folder to open (default: a temp folder with a small PySpark file)
 * Screenshots: test-results/screenshots/.
 *
 * To assert that a running Spark application appears, add one line to a test:
 *   await waitForTreeRow(page, 'seed-cached', 'Applications');
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
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
import { startCodeServer, testSettingsFromEnv, type CodeServer } from '../harness/codeServer';

const EXTENSION_ID = 'spark-observatory.spark-observatory';

describe('workbench with the extension under development', () => {
  let server: CodeServer | undefined;
  let session: BrowserSession | undefined;
  let page: Page;
  let tempFolder: string | undefined;

  before(async () => {
    const main = path.join(REPO_ROOT, 'dist', 'extension.js');
    assert.ok(fs.existsSync(main), `${main} is missing: run npm run build first`);
    let folder = process.env.SO_TEST_FOLDER;
    if (!folder) {
      tempFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'so-ui-ws-'));
      fs.writeFileSync(
        path.join(tempFolder, 'job.py'),
        'from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\ndf = spark.range(1000)\ndf.cache()\nprint(df.count())\n',
      );
      folder = tempFolder;
    }
    const t0 = Date.now();
    server = await startCodeServer({ folder, extensionDevelopmentPath: REPO_ROOT, userSettings: testSettingsFromEnv() });
    console.log(`code-server up in ${Date.now() - t0} ms at ${server.origin}`);
    session = await launchBrowser({
      onConsole: (line) => {
        if (line.source === 'extension-host') console.log(`[ext host] ${line.text}`);
      },
    });
    page = session.page;
    await openWorkbench(page, server.workbenchUrl());
  });

  after(async () => {
    await session?.close();
    await server?.stop();
    if (tempFolder) fs.rmSync(tempFolder, { recursive: true, force: true });
  });

  it('opens the Spark container with the Applications view, and the extension activates', async () => {
    await screenshotOnFailure(page, 'workbench-spark-view', async () => {
      await openViewContainer(page, 'Spark');
      await waitForView(page, 'Applications');
      const title = (await page.locator('.part.sidebar .composite.title h2').innerText()).trim();
      // A container with a single view merges its title: "SPARK: APPLICATIONS" (upper-cased by CSS).
      assert.equal(title.toLowerCase(), 'spark: applications');
      const item = await waitForExtensionStatusItem(page, EXTENSION_ID);
      assert.match(item.text, /Spark/);
      // Either applications (rows) or the welcome content telling how sources are found.
      // Right after activation the view may be between states (its first poll in flight):
      // wait until it shows applications or its welcome text.
      const content = await waitForViewContent(page, 'Applications', /No Spark application found/);
      console.log(`Applications view: ${JSON.stringify(content)}`);
      console.log(`screenshot: ${await screenshot(page, 'workbench-spark-view')}`);
    });
  });
});
