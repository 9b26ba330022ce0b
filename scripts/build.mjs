// Two bundles, as DESIGN.md asks: the extension (node, cjs, `vscode` external) and the
// webviews (browser, one IIFE per panel). Type checking is `tsc --noEmit` (npm run typecheck):
// esbuild only strips types, which keeps the build fast.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, mkdirSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'info',
  legalComments: 'none',
};

/** Every folder under webview/ with a main.ts is one panel bundle: dist/webview/<name>.js */
const webviewEntries = Object.fromEntries(
  readdirSync(join(root, 'webview'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, 'webview', d.name, 'main.ts')))
    .map((d) => [d.name, join(root, 'webview', d.name, 'main.ts')]),
);

const contexts = [
  await esbuild.context({
    ...common,
    // The watchdog that stops Run File's jobs when the extension host dies (src/launcher/watchdog.ts).
    entryPoints: { extension: join(root, 'src/extension.ts'), watchdog: join(root, 'src/launcher/watchdogMain.ts') },
    outdir: join(root, 'dist'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    metafile: true,
  }),
];
if (Object.keys(webviewEntries).length > 0) {
  contexts.push(
    await esbuild.context({
      ...common,
      entryPoints: webviewEntries,
      outdir: join(root, 'dist/webview'),
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      metafile: true,
    }),
  );
}

// The codicon font and CSS are served to webviews from dist/ (localResourceRoots is limited to it).
const codicons = join(root, 'node_modules/@vscode/codicons/dist');
mkdirSync(join(root, 'dist/webview'), { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(join(codicons, f), join(root, 'dist/webview', f));
// Each panel's own stylesheet, webview/<name>/<name>.css, is served as dist/webview/<name>.css.
for (const name of Object.keys(webviewEntries)) {
  const css = join(root, 'webview', name, `${name}.css`);
  if (existsSync(css)) copyFileSync(css, join(root, 'dist/webview', `${name}.css`));
}

// The Python hook of Run File with Observability (src/launcher/python) ships as dist/python.
mkdirSync(join(root, 'dist/python'), { recursive: true });
for (const f of readdirSync(join(root, 'src/launcher/python')).filter((n) => n.endsWith('.py'))) {
  copyFileSync(join(root, 'src/launcher/python', f), join(root, 'dist/python', f));
}

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  for (const c of contexts) {
    await c.rebuild();
    await c.dispose();
  }
}
