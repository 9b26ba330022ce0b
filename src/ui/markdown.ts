/**
 * Tooltips and hovers carry Spark's strings (names, plans, removal reasons), which are
 * untrusted: they go in through `appendText` (escaped) or as code blocks, never as markup, and
 * the MarkdownString is neither trusted nor allowed HTML, so a `command:` link in a job
 * description is text on screen and runs nothing.
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
  rule(): this {
    this.md.appendMarkdown('\n\n---\n\n');
    return this;
  }
}
