/**
 * Writing a comparison table out, to the clipboard or to a file the person picks. Every outcome
 * is a status line for the panel: a clipboard or a write that fails (a read-only folder, a disk
 * full, a remote file system gone) is an error status, never silence. The editor's pieces come
 * in as `io`, so unit tests run this with fakes and no `vscode`.
 */
export type ExportFormat = 'markdown' | 'csv';

export interface ExportStatus {
  readonly kind: 'info' | 'error';
  readonly text: string;
}

/** What an export needs of the editor; `U` is its file handle (a vscode.Uri). */
export interface ExportIo<U> {
  copy(text: string): PromiseLike<void>;
  /** The file to write, chosen by the person (undefined: cancelled). */
  pickFile(defaultName: string, format: ExportFormat): PromiseLike<U | undefined>;
  write(to: U, bytes: Uint8Array): PromiseLike<void>;
  /** How the file is named in the status line. */
  nameOf(to: U): string;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Exports `text`; undefined when the person cancelled the file dialog. */
export async function exportTable<U>(text: string, format: ExportFormat, target: 'clipboard' | 'file', fileName: string, io: ExportIo<U>): Promise<ExportStatus | undefined> {
  const kind = format === 'csv' ? 'CSV' : 'Markdown';
  if (target === 'clipboard') {
    try {
      await io.copy(text);
      return { kind: 'info', text: `Copied the table as ${kind} to the clipboard.` };
    } catch (e) {
      return { kind: 'error', text: `Could not copy the table to the clipboard: ${message(e)}` };
    }
  }
  let to: U | undefined;
  try {
    to = await io.pickFile(fileName, format);
    if (to === undefined) return undefined;
    await io.write(to, new TextEncoder().encode(text));
  } catch (e) {
    return { kind: 'error', text: `Could not save the table as ${kind}${to === undefined ? '' : ` to ${io.nameOf(to)}`}: ${message(e)}` };
  }
  return { kind: 'info', text: `Saved the table as ${kind} to ${io.nameOf(to)}.` };
}
