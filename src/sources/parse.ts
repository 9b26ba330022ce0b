/**
 * Small, strict readers for untrusted JSON. A field of the wrong type reads as absent, never
 * as a crash; a response of the wrong shape altogether is a `malformed` HttpError.
 */
import { HttpError } from './http';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asArray(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new HttpError('malformed', `expected a list of ${what}`);
  return v;
}

export function asObject(v: unknown, what: string): Json {
  if (!isObject(v)) throw new HttpError('malformed', `expected ${what} as an object`);
  return v;
}

/** A finite number, or undefined. Spark sends numbers; Prometheus sends strings (see prometheus.ts). */
export function optNum(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function num(v: unknown): number {
  return optNum(v) ?? 0;
}

export function optStr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/**
 * Spark's REST dates look like `2026-11-21T07:01:02.345GMT`; `Date.parse` does not read the
 * `GMT` suffix glued to the milliseconds, so it is rewritten to `Z`. Epoch numbers pass through.
 */
export function optDate(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  if (typeof v !== 'string' || v.length === 0) return undefined;
  const t = Date.parse(v.replace(/GMT$/, 'Z'));
  return Number.isFinite(t) && t > 0 ? t : undefined;
}

export function numArray(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [];
}

export function strArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
