/**
 * The one scheduler. Every read the store makes is a task with a key, a cadence and a body;
 * the scheduler owns their timers, so there is one place that decides when anything is read:
 *
 * - each task runs on its own timer (one source that hangs holds up no other source);
 * - nothing runs while the window is unfocused (vscode-containers: polling what nobody looks at
 *   drove a daemon to 50 % CPU);
 * - a task removed (nobody looks at it any more) has its work in flight cancelled;
 * - a forced refresh is never dropped: a task already running is run once more after it ends,
 *   and the refresh resolves when every task has run since it was asked for.
 *
 * No `vscode` import: the store and its tests run in plain Node.
 */

export interface TaskSpec {
  /** Milliseconds from the end of a run to the next; undefined: run only when kicked or forced. */
  interval(): number | undefined;
  /** One run. `force`: a refresh the user asked for (backoff and "nothing changed" shortcuts yield). */
  run(signal: AbortSignal, force: boolean): Promise<void>;
}

interface Task {
  spec: TaskSpec;
  timer?: ReturnType<typeof setTimeout>;
  running?: { ctl: AbortController; done: Promise<void> };
  /** Someone asked for a run (forced or not) while one was in flight. */
  again?: { force: boolean; waiters: Array<() => void> };
  /** When its last run ended, on the scheduler's clock. */
  lastEnd?: number;
}

export interface SchedulerLog {
  error(msg: string): void;
}

export class Scheduler {
  private readonly tasks = new Map<string, Task>();
  private paused = false;
  private disposed = false;

  constructor(
    private readonly log: SchedulerLog,
    /** The clock `runDue` measures intervals on (the store's). */
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds a task (or gives an existing one a new body) and runs it soon. */
  ensure(key: string, spec: TaskSpec): void {
    if (this.disposed) return;
    const t = this.tasks.get(key);
    if (t) {
      t.spec = spec;
      return;
    }
    this.tasks.set(key, { spec });
    this.kick(key);
  }

  has(key: string): boolean {
    return this.tasks.has(key);
  }

  keys(): string[] {
    return [...this.tasks.keys()];
  }

  /** Removes a task: its timer is cleared and its work in flight cancelled. */
  remove(key: string): void {
    const t = this.tasks.get(key);
    if (!t) return;
    this.tasks.delete(key);
    if (t.timer) clearTimeout(t.timer);
    t.running?.ctl.abort();
    for (const w of t.again?.waiters ?? []) w();
  }

  /** Runs a task at the next turn (or right after its run in flight). */
  kick(key: string): void {
    const t = this.tasks.get(key);
    if (!t || this.paused || this.disposed) return;
    if (t.running) {
      t.again ??= { force: false, waiters: [] };
      return;
    }
    if (t.timer) clearTimeout(t.timer);
    t.timer = setTimeout(() => void this.runTask(key, t, false), 0);
  }

  /** Recomputes every task's next run from its interval (after a change of visibility or settings). */
  reschedule(): void {
    for (const [key, t] of this.tasks) if (!t.running) this.arm(key, t);
  }

  /**
   * Runs every task now, forced; resolves when each has run once since this call (a task in
   * flight finishes and runs again). Works while paused: the user asked.
   */
  async refresh(keys?: readonly string[], force = true): Promise<void> {
    const wanted = keys ?? [...this.tasks.keys()];
    await Promise.all(wanted.map((k) => this.runNow(k, force)));
  }

  /**
   * Runs, not forced, the tasks among `keys` that their timers would run by now: never run, or
   * their interval passed since their last run ended. The poll bench's stand-in for the timers
   * under a simulated clock (test/bench/pollWorker.ts), so a poll there costs what it costs here.
   */
  async runDue(keys: readonly string[]): Promise<void> {
    const now = this.now();
    const due = keys.filter((k) => {
      const t = this.tasks.get(k);
      if (!t) return false;
      const ms = t.spec.interval();
      return t.lastEnd === undefined || (ms !== undefined && now - t.lastEnd >= ms);
    });
    await Promise.all(due.map((k) => this.runNow(k, false)));
  }

  private runNow(key: string, force: boolean): Promise<void> {
    const t = this.tasks.get(key);
    if (!t || this.disposed) return Promise.resolve();
    if (t.running) {
      return new Promise((resolve) => {
        t.again ??= { force, waiters: [] };
        t.again.force ||= force;
        t.again.waiters.push(resolve);
      });
    }
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    return this.runTask(key, t, force);
  }

  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (paused) {
      for (const t of this.tasks.values()) {
        if (t.timer) clearTimeout(t.timer);
        t.timer = undefined;
      }
    } else {
      // Catch up at once: what was due while unfocused is due now.
      for (const key of this.tasks.keys()) this.kick(key);
    }
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Whether a task has a run in flight (for tests and the bench). */
  isRunning(key: string): boolean {
    return !!this.tasks.get(key)?.running;
  }

  dispose(): void {
    this.disposed = true;
    for (const key of [...this.tasks.keys()]) this.remove(key);
  }

  private arm(key: string, t: Task): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    if (this.paused || this.disposed || this.tasks.get(key) !== t) return;
    const ms = t.spec.interval();
    if (ms === undefined) return;
    t.timer = setTimeout(() => void this.runTask(key, t, false), Math.max(0, ms));
  }

  private runTask(key: string, t: Task, force: boolean): Promise<void> {
    t.timer = undefined;
    const ctl = new AbortController();
    const done = (async () => {
      try {
        await t.spec.run(ctl.signal, force);
      } catch (e) {
        if (!ctl.signal.aborted) this.log.error(`${key}: ${e instanceof Error ? e.message : String(e)}`);
      }
    })();
    t.running = { ctl, done };
    return done.then(async () => {
      t.running = undefined;
      t.lastEnd = this.now();
      const again = t.again;
      t.again = undefined;
      if (this.tasks.get(key) !== t || this.disposed) {
        for (const w of again?.waiters ?? []) w();
        return;
      }
      if (again && (again.force || again.waiters.length > 0 || !this.paused)) {
        await this.runTask(key, t, again.force);
        for (const w of again.waiters) w();
        return;
      }
      this.arm(key, t);
    });
  }
}
