/**
 * The fake driver's executors and cached data (fakeModel.ts has the rest): N live executors and
 * the dead ones Spark retains, each from the real 4.3.0 executor of the samples with its own id,
 * host and log links; one dataset cached on every live executor (two partitions each: its
 * `dataDistribution` and `partitions` grow with N, as they do in 4.3's /storage/rdd) and two small
 * ones.
 *
 * While a job runs (`running`), every live executor runs one task: its task counts, task time,
 * GC time, input and shuffle move every poll (some executors finish a task in a given poll,
 * others not); every S polls a fiftieth more of the executors hold 8 MB more of the big dataset.
 * Each executor's text is a Template cut once: a poll's list is joined, not serialised again.
 */
import { jackson, jacksonList, Template } from './fakeJson';

// Spark's own JSON, edited field by field from the captured samples: typing every field adds nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const MiB = 1024 * 1024;
/** Holes of an executor's template, in this order. */
const FIELDS = ['memoryUsed', 'rddBlocks', 'activeTasks', 'completedTasks', 'totalTasks', 'totalDuration', 'totalGCTime', 'totalInputBytes', 'totalShuffleRead', 'totalShuffleWrite', 'usedOnHeapStorageMemory'] as const;

export interface FakeExecutorsOptions {
  readonly samples: Json;
  readonly appId: string;
  readonly live: number;
  readonly dead: number;
  readonly running: boolean;
  /** Polls between changes of cached data. */
  readonly pollsPerStorageChange: number;
  /** Milliseconds of one poll, and when the application started (epoch ms). */
  readonly pollMs: number;
  readonly startedAt: number;
  readonly random: () => number;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
export const gmt = (ms: number) => new Date(ms).toISOString().replace('Z', 'GMT');

function hostPort(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${35000 + (i % 1000)}`;
}

export class FakeExecutors {
  private readonly templates: Template[] = [];
  /** Per executor: its values at tick 0, in FIELDS order, flattened. */
  private readonly base: Float64Array;
  private readonly driverText: string;
  readonly maxMemory: number;
  private readonly storageTexts = new Map<number, string>();

  constructor(private readonly o: FakeExecutorsOptions) {
    const s = o.samples;
    const r = o.random;
    this.maxMemory = s.executor.maxMemory as number;
    const total = o.live + o.dead;
    this.base = new Float64Array(total * FIELDS.length);
    for (let i = 0; i < total; i++) {
      const e = clone(s.executor);
      const id = String(i + 1);
      const hp = hostPort(i + 1);
      e.id = id;
      e.hostPort = hp;
      e.addTime = gmt(o.startedAt + i * 10);
      e.executorLogs = {
        stdout: `http://${hp.split(':')[0]}:8081/logPage/?appId=${o.appId}&executorId=${id}&logType=stdout`,
        stderr: `http://${hp.split(':')[0]}:8081/logPage/?appId=${o.appId}&executorId=${id}&logType=stderr`,
      };
      for (const key of Object.keys(e.peakMemoryMetrics)) e.peakMemoryMetrics[key] = Math.floor(e.peakMemoryMetrics[key] * (0.5 + r()));
      const completed = Math.floor(r() * 5000);
      const duration = Math.floor(r() * 4e6);
      const values = [16_000_000 + Math.floor(r() * 0.5 * this.maxMemory), 2, 0, completed, completed, duration, Math.floor(duration * r() * 0.1), Math.floor(r() * 1e10), Math.floor(r() * 1e9), Math.floor(r() * 1e9)];
      this.base.set(values, i * FIELDS.length);
      if (i >= o.live) {
        e.isActive = false;
        e.removeTime = gmt(o.startedAt + 3_600_000 + i);
        e.removeReason = r() < 0.5 ? 'Executor decommission: spot instance interrupted' : 'Container killed by YARN for exceeding memory limits. 4.5 GB of 4.5 GB physical memory used.';
      }
      FIELDS.forEach((f, h) => (f === 'usedOnHeapStorageMemory' ? (e.memoryMetrics.usedOnHeapStorageMemory = Template.hole(h)) : (e[f] = Template.hole(h))));
      this.templates.push(Template.fromObject(e));
    }
    this.driverText = jackson(s.driverExecutor);
  }

  /** allexecutors (with the dead) or executors (live only), at tick t. */
  list(t: number, withDead: boolean): string {
    const items: string[] = [this.driverText];
    const v: number[] = new Array<number>(FIELDS.length);
    const upTo = withDead ? this.o.live + this.o.dead : this.o.live;
    for (let i = 0; i < upTo; i++) {
      this.values(i, t, v);
      items.push(this.templates[i].render(v));
    }
    return jacksonList(items);
  }

  /** Storage memory used and available over every block manager (the driver's included), in bytes. */
  memory(t: number): { used: number; max: number } {
    const d = this.o.samples.driverExecutor;
    let used = d.memoryUsed as number;
    for (let i = 0; i < this.o.live; i++) used += this.base[i * FIELDS.length] + (i < this.extraBelow(t) ? 8 * MiB : 0);
    return { used, max: (d.maxMemory as number) + this.o.live * this.maxMemory };
  }

  /** /storage/rdd at tick t (it changes only every S polls). */
  storage(t: number): string {
    const below = this.extraBelow(t);
    const cached = this.storageTexts.get(below);
    if (cached !== undefined) return cached;
    const s = this.o.samples;
    const rdds: Json[] = [];
    for (let d = 0; d < 3; d++) {
      const x = clone(s.rdd);
      const on = d === 0 ? this.o.live : 2;
      const per = 8_000_000 + d;
      const size = (i: number) => per + (d === 0 && i < below ? 4 * MiB : 0);
      x.id = 10 + d;
      x.name = `*(1) Project [id#${d}L, value#${d + 1}]\n+- *(1) Scan parquet events_${d}\n`;
      x.numPartitions = 2 * on;
      x.numCachedPartitions = 2 * on;
      x.dataDistribution = Array.from({ length: on }, (_, i) => ({
        ...clone(s.rdd.dataDistribution[0]),
        address: hostPort(i + 1),
        memoryUsed: 2 * size(i),
        memoryRemaining: this.maxMemory - 2 * size(i),
        onHeapMemoryUsed: 2 * size(i),
        onHeapMemoryRemaining: this.maxMemory - 2 * size(i),
      }));
      x.partitions = Array.from({ length: 2 * on }, (_, p) => ({ ...clone(s.rdd.partitions[0]), blockName: `rdd_${x.id}_${p}`, memoryUsed: size(p >> 1), executors: [String((p >> 1) + 1)] }));
      x.memoryUsed = x.partitions.reduce((a: number, p: Json) => a + (p.memoryUsed as number), 0);
      rdds.push(x);
    }
    const text = jackson(rdds);
    this.storageTexts.clear();
    this.storageTexts.set(below, text);
    return text;
  }

  /** Storage changes so far: executors below this index hold 8 MB more of dataset 0. */
  private extraBelow(t: number): number {
    return this.o.running ? Math.min(this.o.live, Math.floor(t / this.o.pollsPerStorageChange) * Math.ceil(this.o.live / 50)) : 0;
  }

  private values(i: number, t: number, out: number[]): void {
    const b = i * FIELDS.length;
    const live = i < this.o.live;
    const run = live && this.o.running;
    // About two tasks in five polls per executor, not all in the same poll.
    const inc = run ? Math.floor((2 * t + (i % 5)) / 5) : 0;
    const extra = live && i < this.extraBelow(t) ? 8 * MiB : 0;
    out[0] = this.base[b] + extra;
    out[1] = this.base[b + 1] + (extra ? 1 : 0);
    out[2] = run ? 1 : 0;
    out[3] = this.base[b + 3] + inc;
    out[4] = this.base[b + 4] + inc;
    out[5] = this.base[b + 5] + (run ? this.o.pollMs * t : 0);
    out[6] = this.base[b + 6] + (run ? 60 * t : 0);
    out[7] = this.base[b + 7] + inc * 64 * MiB;
    out[8] = this.base[b + 8] + inc * MiB;
    out[9] = this.base[b + 9] + inc * 512 * 1024;
    out[10] = out[0];
  }
}
