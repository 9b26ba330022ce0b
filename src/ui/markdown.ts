/**
 * Tooltips and hovers carry Spark's strings (names, plans, removal reasons), which are
 * untrusted: they go in through `appendText` (escaped) or as code blocks, never as markup, and
 * the MarkdownString is not allowed HTML. It trusts no command, except the ones `commandLink`
 * adds itself (then only those), so a `command:` link in a job description is text on screen
 * and runs nothing.
 */
import * as vscode from 'vscode';

export class SafeMarkdown {
  readonly md = new vscode.MarkdownString('', false);
  constructor() {
    this.md.isTrusted = false;
    this.md.supportHtml = false;
    this.md.supportThemeIcons = false;
  }
  /**
   * A bold label followed by a value, both escaped: labels carry Spark's strings too (the
   * executor address of a cached dataset's row, a configuration key).
   */
  field(label: string, value: string | undefined): this {
    if (value === undefined || value === '') return this;
    this.md.appendMarkdown('**');
    this.md.appendText(`${label}:`);
    this.md.appendMarkdown('** ');
    this.md.appendText(value);
    this.md.appendMarkdown('  \n');
    return this;
  }
  text(value: string): this {
    this.md.appendText(value);
    return this;
  }
  heading(value: string): this {
    this.md.appendMarkdown('**');
    this.md.appendText(value);
    this.md.appendMarkdown('**  \n');
    return this;
  }
  /** Long untrusted text (plan strings, stacks) in a fenced block, fences in it defused. */
  code(value: string, max = 4000): this {
    const cut = value.length > max ? value.slice(0, max) + '\n…' : value;
    this.md.appendCodeblock(cut.replace(/```/g, '`\u200b``'), 'text');
    return this;
  }
  /**
   * A link that runs one of the extension's commands with JSON arguments. Only that command is
   * trusted; untrusted values may be among the arguments (they are URL-encoded inside the link).
   */
  commandLink(label: string, command: string, args: readonly unknown[]): this {
    const trusted = this.md.isTrusted;
    const enabled = typeof trusted === 'object' ? trusted.enabledCommands : [];
    this.md.isTrusted = { enabledCommands: [...new Set([...enabled, command])] };
    const text = label.replace(/[\\[\]]/g, (c) => `\\${c}`);
    this.md.appendMarkdown(`[${text}](command:${command}?${encodeURIComponent(JSON.stringify(args))})`);
    return this;
  }
  rule(): this {
    this.md.appendMarkdown('\n\n---\n\n');
    return this;
  }
}
