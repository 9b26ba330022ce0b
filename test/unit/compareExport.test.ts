/**
 * Exporting a comparison: every outcome is a status line for the panel; a failed copy or write
 * says so and why, never nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ExportIo, exportTable } from '../../src/features/compare/compareExport';

function io(o: Partial<ExportIo<string>> = {}): ExportIo<string> & { written: Map<string, string>; copied: string[] } {
  const written = new Map<string, string>();
  const copied: string[] = [];
  return {
    written,
    copied,
    copy: async (t) => void copied.push(t),
    pickFile: async (name) => `/out/${name}`,
    write: async (to, bytes) => void written.set(to, new TextDecoder().decode(bytes)),
    nameOf: (to) => to.split('/').pop() ?? to,
    ...o,
  };
}

describe('exporting a comparison', () => {
  test('a saved file and a copy say where the table went', async () => {
    const a = io();
    assert.deepEqual(await exportTable('| a |', 'markdown', 'file', 'x.md', a), { kind: 'info', text: 'Saved the table as Markdown to x.md.' });
    assert.equal(a.written.get('/out/x.md'), '| a |');
    assert.deepEqual(await exportTable('a,b', 'csv', 'clipboard', 'x.csv', a), { kind: 'info', text: 'Copied the table as CSV to the clipboard.' });
    assert.deepEqual(a.copied, ['a,b']);
  });

  test('a write that fails is an error status with the reason', async () => {
    const failing = io({ write: () => Promise.reject(new Error("EACCES: permission denied, open '/out/x.csv'")) });
    assert.deepEqual(await exportTable('a,b', 'csv', 'file', 'x.csv', failing), {
      kind: 'error',
      text: "Could not save the table as CSV to x.csv: EACCES: permission denied, open '/out/x.csv'",
    });
  });

  test('a clipboard or a dialog that fails is an error status too', async () => {
    assert.deepEqual(await exportTable('t', 'markdown', 'clipboard', 'x.md', io({ copy: () => Promise.reject(new Error('no clipboard')) })), {
      kind: 'error',
      text: 'Could not copy the table to the clipboard: no clipboard',
    });
    assert.deepEqual(await exportTable('t', 'markdown', 'file', 'x.md', io({ pickFile: () => Promise.reject(new Error('no dialog')) })), {
      kind: 'error',
      text: 'Could not save the table as Markdown: no dialog',
    });
  });

  test('a cancelled dialog writes nothing and says nothing', async () => {
    const a = io({ pickFile: async () => undefined });
    assert.equal(await exportTable('t', 'csv', 'file', 'x.csv', a), undefined);
    assert.equal(a.written.size, 0);
  });
});
