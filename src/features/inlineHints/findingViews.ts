/**
 * How a run's hints and findings look in the editor: a finding as a 'Spark' diagnostic whose code
 * links to the Spark UI page with its evidence (the stage attempt, else the executors,
 * environment or storage page), and the hover of an action line with its stage table and its
 * findings. Every text from Spark goes in as text; links are the source's own http(s) URLs.
 */
import { Command } from '../../commands';
import * as vscode from 'vscode';
import type { LineSummary } from '../../model/callSite';
import { findingMessage, hintLine, hintText, stageRows, type PlacedFinding } from '../../model/lineHints';
import type { FindingSeverity } from '../../model/rules';
import { sparkUiUrl, type UiTarget } from '../../model/uiLinks';
import { formatAge } from '../../model/format';
import type { Stage } from '../../model/types';
import type { AppEntry } from '../../store/store';
import { SafeMarkdown } from '../../ui/markdown';

/** The run a file shows, as the views need it. */
export interface ShownRun {
  readonly appName: string;
  readonly appId: string;
  readonly running: boolean;
  readonly stages: readonly Stage[];
  readonly findings: readonly PlacedFinding[];
  readonly fetchedAt?: number;
  /** Spark UI of the source that served it. */
  readonly ui?: { readonly baseUrl: string; readonly via: AppEntry['via']; readonly app: { readonly id: string; readonly attemptId?: string } };
}

const SEVERITY: Record<FindingSeverity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

/** A Spark UI page of the run, when its source has one and the URL is http(s). */
export function uiLink(run: ShownRun, target: UiTarget): string | undefined {
  const url = run.ui ? sparkUiUrl(run.ui.baseUrl, run.ui.via, run.ui.app, target) : undefined;
  return url && /^https?:\/\//.test(url) ? url : undefined;
}

/** A URL as a Markdown link target: encoded, parentheses escaped so the link cannot end early. */
function mdTarget(url: string): string {
  return encodeURI(decodeURI(url)).replace(/[()]/g, (c) => encodeURIComponent(c));
}

/** One placed finding as a diagnostic on its line of `lines` (the file's text). */
export function findingDiagnostic(p: PlacedFinding, lines: readonly string[] | undefined, run: ShownRun): vscode.Diagnostic {
  const raw = lines?.[p.line - 1]?.replace(/\r$/, '');
  const start = raw ? raw.length - raw.trimStart().length : 0;
  const range = new vscode.Range(p.line - 1, start, p.line - 1, raw ? raw.length : 0);
  const d = new vscode.Diagnostic(range, findingMessage(p.finding), SEVERITY[p.finding.severity]);
  d.source = 'Spark';
  const url = uiLink(run, p.finding.page);
  // The code links to the evidence: VS Code shows it as a link in the Problems panel and the hover.
  d.code = url ? { value: p.finding.rule, target: vscode.Uri.parse(url, true) } : p.finding.rule;
  return d;
}

/** The hover of an action line: its hint, application, jobs, stage table with UI links, and findings. */
export function hoverMarkdown(run: ShownRun, l: LineSummary, now: number, previousRun?: { readonly file: string }): SafeMarkdown {
  const md = new SafeMarkdown().heading(`Spark: ${l.functions.join(', ')} on line ${l.line}`);
  md.text(hintLine(hintText(l)));
  md.md.appendMarkdown('  \n');
  md.field('Application', `${run.appName} (${run.appId})${run.running ? ' · running' : ' · ended'}`);
  md.field('Jobs', [...l.jobIds].sort((a, b) => a - b).join(', '));
  if (run.fetchedAt) md.field('Measured', formatAge(now - run.fetchedAt));
  const rows = stageRows(l, run.stages);
  if (rows.length > 0) {
    // Every cell is our own formatting of numbers (and a validated status): nothing from Spark
    // goes into the table as text.
    md.md.appendMarkdown('\n\n| Stage | Status | Tasks | Duration | Shuffle r / w | Spill | GC |\n|---|---|---|---|---|---|---|\n');
    for (const r of rows) {
      const url = uiLink(run, { page: 'stage', id: r.stageId, attempt: r.attemptId });
      const label = `${r.stageId}.${r.attemptId}`;
      const stage = url ? `[${label}](${mdTarget(url)})` : label;
      md.md.appendMarkdown(`| ${stage} | ${r.status} | ${r.tasks} | ${r.duration} | ${r.shuffle} | ${r.spill}${r.warn ? ' ⚠' : ''} | ${r.gc} |\n`);
    }
    md.md.appendMarkdown('\n');
  }
  // This run and the run of this file before it, side by side (Run File's history).
  if (previousRun) {
    md.commandLink('Compare with the previous run of this file', Command.CompareWithPreviousRun, [previousRun.file, run.appId]);
    md.md.appendMarkdown('\n\n');
  }
  const here = run.findings.filter((p) => p.line === l.line);
  if (here.length > 0) {
    md.rule().heading('Findings');
    for (const p of here) {
      md.text(`${p.finding.severity === 'error' ? '⛔' : p.finding.severity === 'warning' ? '⚠' : 'ℹ'} ${findingMessage(p.finding)}`);
      const url = uiLink(run, p.finding.page);
      if (url) md.md.appendMarkdown(` ([${p.finding.page.page === 'stage' ? 'stage' : p.finding.page.page} in the Spark UI](${mdTarget(url)}))`);
      md.md.appendMarkdown('  \n');
    }
  }
  return md;
}
