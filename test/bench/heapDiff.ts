/**
 * Heap snapshots of the poll worker's own process, compared by kind of object: what "no memory
 * growth over 1,000 polls" is read from (poll.bench.ts). V8's compiler structures (code, deopt
 * data, feedback, shapes) grow while it optimises hot paths and are kept apart from data.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

export type HeapByName = Map<string, { count: number; bytes: number }>;

/** Heap snapshots at two checkpoints: growth of data and of the JIT, and the kinds that grew most. */
export interface SnapshotDiff {
  readonly dataBytes: number;
  readonly jitBytes: number;
  readonly maxCountGrowth: { name: string; count: number };
  readonly top: { name: string; count: number; bytes: number }[];
}

interface HeapSnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Self sizes by `type:name` of a heap snapshot of this process (written, read, removed). */
export function heapByName(): HeapByName {
  const file = path.join(os.tmpdir(), `so-bench-heap-${process.pid}-${Date.now()}.heapsnapshot`);
  writeHeapSnapshot(file);
  try {
    const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as HeapSnapshotFile;
    const f = snap.snapshot.meta.node_fields;
    const types = snap.snapshot.meta.node_types[0];
    const [ti, ni, si] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
    const out: HeapByName = new Map();
    for (let i = 0; i < snap.nodes.length; i += f.length) {
      const key = `${types[snap.nodes[i + ti]]}:${snap.strings[snap.nodes[i + ni]].slice(0, 50)}`;
      const o = out.get(key) ?? { count: 0, bytes: 0 };
      o.count++;
      o.bytes += snap.nodes[i + si];
      out.set(key, o);
    }
    return out;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** V8's own compiler structures, which grow while it optimises: not data anybody keeps. */
const isJit = (key: string) => key.startsWith('code:') || key.startsWith('hidden:') || key.startsWith('object shape:');

export function diffHeaps(a: HeapByName, b: HeapByName): SnapshotDiff {
  const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => ({
    name: k,
    count: (b.get(k)?.count ?? 0) - (a.get(k)?.count ?? 0),
    bytes: (b.get(k)?.bytes ?? 0) - (a.get(k)?.bytes ?? 0),
  }));
  const data = rows.filter((r) => !isJit(r.name));
  return {
    dataBytes: data.reduce((s, r) => s + r.bytes, 0),
    jitBytes: rows.filter((r) => isJit(r.name)).reduce((s, r) => s + r.bytes, 0),
    top: [...data].sort((x, y) => y.bytes - x.bytes).slice(0, 6),
    maxCountGrowth: data.reduce((m, r) => (r.count > m.count ? { name: r.name, count: r.count } : m), { name: '', count: 0 }),
  };
}
