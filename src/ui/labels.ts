/**
 * VS Code renders `$(name)` as an icon in CodeLens titles, quick-pick labels, descriptions and
 * details, status-bar text and terminal names (tree labels, tooltips and our hovers, whose
 * MarkdownString has supportThemeIcons off, show it as text). Spark's and Prometheus's strings
 * are untrusted: an application named `$(zap) prod` must read `$(zap) prod`. VS Code's own
 * escape for that syntax is a backslash: `\$(zap)` renders as the text `$(zap)`. No `vscode`
 * import, so unit tests run it as it is.
 */

/** VS Code's icon syntax: ThemeIcon.iconNameExpression with an optional `~modifier`. */
const ICON_SYNTAX = /\$\([A-Za-z0-9-]+(?:~[A-Za-z]+)?\)/g;

/** Text for a label that renders icons, showing every `$(…)` in it as the characters they are. */
export function noIcons(text: string): string {
  return text.replace(ICON_SYNTAX, '\\$&');
}

/** A quick-pick item whose label, description and detail are untrusted text. */
export function pickItemText<T extends { readonly label: string; readonly description?: string; readonly detail?: string }>(item: T): T {
  return {
    ...item,
    label: noIcons(item.label),
    ...(item.description === undefined ? {} : { description: noIcons(item.description) }),
    ...(item.detail === undefined ? {} : { detail: noIcons(item.detail) }),
  };
}
