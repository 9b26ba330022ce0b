/**
 * The base of the Applications tree's nodes: a node renders itself (`item`) and lists its
 * children; nodes under an application carry its entry, for the commands run on them.
 */
import * as vscode from 'vscode';
import type { AppEntry, Store } from '../../store/store';
import type { UiTarget } from '../../model/uiLinks';
import { SafeMarkdown } from '../../ui/markdown';

/** Spark UI pages a node can open; the command maps them to URLs of the serving source. */
export type UiPage = UiTarget;

/** What nodes need to draw themselves and to find their children. */
export interface NodeContext {
  readonly store: Store;
  readonly now: () => number;
  /** The kept node with this id, made by `make` the first time. */
  keep<T extends Node>(id: string, make: () => T): T;
}

export abstract class Node {
  abstract readonly id: string;
  /** The node this one sits under (for reveal); undefined at the top. */
  parent?: Node;
  abstract item(ctx: NodeContext): vscode.TreeItem;
  children(_ctx: NodeContext): Node[] {
    return [];
  }
}

/** An application node's entry, for commands run on it and on its descendants. */
export interface HasApp {
  readonly entry: AppEntry;
  readonly uiPage: UiPage;
}

export function hasApp(n: unknown): n is Node & HasApp {
  return n instanceof Node && 'entry' in n && 'uiPage' in n && !!(n as { entry?: unknown }).entry;
}

export function treeItem(label: string, collapsible: boolean, expanded = false): vscode.TreeItem {
  return new vscode.TreeItem(
    label,
    collapsible ? (expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed) : vscode.TreeItemCollapsibleState.None,
  );
}

export class MessageNode extends Node {
  constructor(
    readonly id: string,
    private readonly label: string,
    private readonly icon: string,
    private readonly tooltip?: string,
    private readonly color?: string,
    private readonly description?: string,
  ) {
    super();
  }
  item(): vscode.TreeItem {
    const t = treeItem(this.label, false);
    t.id = this.id;
    t.description = this.description;
    t.iconPath = new vscode.ThemeIcon(this.icon, this.color ? new vscode.ThemeColor(this.color) : undefined);
    if (this.tooltip) t.tooltip = new SafeMarkdown().text(this.tooltip).md;
    t.contextValue = 'message';
    return t;
  }
}

