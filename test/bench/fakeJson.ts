/**
 * Text as Spark sends it, for the fake driver (sparkFake.ts), built fast enough to change every
 * poll at 10,000 executors:
 *
 * - `jackson(v)`: the REST API's layout, Jackson's DefaultPrettyPrinter as a 4.3.0 driver writes
 *   it (`[ {` … `}, {` … `} ]`, `"key" : value`, `{ }`, `[ ]`, arrays of values on one line);
 * - `Template`: a text with numeric holes, cut once, filled by joining strings (a 28 MB executor
 *   list is rendered without serialising 10,000 objects again).
 */

/** Spark's REST answers, byte for byte in layout (values as JavaScript prints them). */
export function jackson(v: unknown, indent = ''): string {
  if (Array.isArray(v)) return v.length === 0 ? '[ ]' : `[ ${v.map((x) => jackson(x, indent)).join(', ')} ]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{ }';
    const inner = indent + '  ';
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)} : ${jackson(x, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}

/** Joins the texts of list entries as Jackson lays out a top-level array. */
export function jacksonList(items: readonly string[]): string {
  return items.length === 0 ? '[ ]' : `[ ${items.join(', ')} ]`;
}

// Sentinels no real answer contains: the 8 digits after 9876543 number the hole.
const SENTINEL = 987654300000000;

/**
 * A text with holes for numbers. Made from an object whose moving fields hold `Template.hole(i)`
 * (then laid out by `layout`), or from a text and the places of its numbers (`fromText`).
 */
export class Template {
  private constructor(
    private readonly chunks: readonly string[],
    private readonly holes: readonly number[],
  ) {}

  static hole(i: number): number {
    return SENTINEL + i;
  }

  static fromObject(o: unknown, layout: (o: unknown) => string = jackson): Template {
    const text = layout(o);
    const parts = text.split(/9876543(\d{8})/);
    const chunks: string[] = [];
    const holes: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 0) chunks.push(parts[i]);
      else holes.push(Number(parts[i]));
    }
    return new Template(chunks, holes);
  }

  /**
   * A text whose numbers after the given keys (`"key":{"value":N}` or `{"count":N}`, as the
   * metrics servlet writes them) become holes, numbered in the order of `keys`.
   */
  static fromText(text: string, keys: readonly string[]): Template {
    const found: { at: number; end: number; hole: number }[] = [];
    keys.forEach((key, hole) => {
      const m = new RegExp(`${escape(JSON.stringify(key))}:\\{"(?:value|count)":(-?[0-9.eE+-]+)`).exec(text);
      if (!m) throw new Error(`no number after ${key}`);
      const end = m.index + m[0].length;
      found.push({ at: end - m[1].length, end, hole });
    });
    found.sort((a, b) => a.at - b.at);
    const chunks: string[] = [];
    let from = 0;
    for (const f of found) {
      chunks.push(text.slice(from, f.at));
      from = f.end;
    }
    chunks.push(text.slice(from));
    return new Template(chunks, found.map((f) => f.hole));
  }

  render(values: readonly (number | string)[]): string {
    let out = this.chunks[0];
    for (let i = 0; i < this.holes.length; i++) out += String(values[this.holes[i]]) + this.chunks[i + 1];
    return out;
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
