/**
 * The log channel every part of the extension writes to, with credentials redacted on the way
 * in (userinfo in URLs, authorization headers, token parameters: sources/http.ts `redact`). One
 * wrapper at the boundary, so no feature has to remember.
 */
import type * as vscode from 'vscode';
import { redact } from '../model/redaction';

const WRITERS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace']);

const clean = (v: unknown): unknown => (typeof v === 'string' ? redact(v) : v instanceof Error ? redact(`${v.name}: ${v.message}`) : v);

export function redactingLog(channel: vscode.LogOutputChannel): vscode.LogOutputChannel {
  return new Proxy(channel, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof prop === 'string' && WRITERS.has(prop)) return (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args.map(clean));
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
