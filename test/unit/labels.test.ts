/**
 * Untrusted names in labels that render icons: `$(zap)` in an application, dataset or storage
 * level name shows as those characters, not as an icon.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { noIcons, pickItemText } from '../../src/ui/labels';
import { appPickItems } from '../../src/model/compareView';

/**
 * What VS Code draws of a label, as text with `<icon:name>` for each icon: the same expression
 * as the workbench's renderLabelWithIcons (vs/base/browser/ui/iconLabel/iconLabels.ts, as
 * shipped in code-server 4.100.3), where `\$(x)` is the text `$(x)`.
 */
function rendered(label: string): string {
  return label.replace(/(\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g, (_m, escaped: string | undefined, name: string) => (escaped ? `$(${name})` : `<icon:${name}>`));
}

describe('labels that render icons', () => {
  const names = ['$(zap) prod', 'a $(sync~spin) b $(x)', '\\$(zap)', '$(not an icon)', '$$(zap))', 'plain', '$()', 'cost $(5)'];

  test('untrusted text renders as the same characters, no icon', () => {
    for (const n of names) {
      assert.equal(rendered(noIcons(n)), n, n);
      assert.doesNotMatch(rendered(noIcons(n)), /<icon:/, n);
    }
    // Without the escape the same names would be icons (what the test guards against).
    assert.equal(rendered('$(zap) prod'), '<icon:zap> prod');
  });

  test('text without icon syntax is left alone', () => {
    for (const n of ['plain', '$(not an icon)', 'cost $ (5)', '']) assert.equal(noIcons(n), n);
  });

  test('an application named $(zap) reads literally in the Compare Runs quick pick', () => {
    const [item] = appPickItems(
      [{ key: 'local|app-1', id: 'app-$(bug)', name: '$(zap) nightly', state: 'completed', startTime: 0, durationMs: 1000, via: 'history', group: '$(key)' }],
      10_000,
    ).map(pickItemText);
    assert.equal(rendered(item.label), '$(zap) nightly');
    assert.equal(rendered(item.detail), 'app-$(bug) · finished · History Server · $(key)');
    assert.equal(item.key, 'local|app-1');
  });
});
