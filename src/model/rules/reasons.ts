/**
 * What Spark's free-text reasons mean: an executor's `removeReason` and a failed task's
 * `errorMessage`. The texts are Spark's own (4.1.1 sources, and the YARN ones from the 4.3.0
 * `YarnAllocator` class); every one is untrusted and only ever matched, never interpreted.
 */

/**
 * - `release`: the application let the executor go (dynamic allocation, an explicit request):
 *   "Executor killed by driver." (ExecutorLossReason.scala L47), YARN "Container … exited from
 *   explicit termination request." (seen six times in a real 3.1.1 log with dynamic allocation);
 * - `decommission`: the cluster took it back in an orderly way: "Executor decommission: …"
 *   (L88), YARN "… was preempted.";
 * - `memory`: killed for memory: YARN "exceeding physical memory limits", Kubernetes exit 137
 *   "(SIGKILL, possible container OOM)", exit code 52 (`SparkExitCode.OOM`: the JVM's own
 *   OutOfMemoryError), "OutOfMemoryError";
 * - `lost`: anything else: "Remote RPC client disassociated…", "Executor heartbeat timed out…",
 *   "worker lost: …", "Command exited with code N", "The executor with id N exited with exit code C".
 */
export type RemovalKind = 'release' | 'decommission' | 'memory' | 'lost';

const MEMORY = [
  /exceeding (physical )?memory limits/i,
  /OutOfMemoryError/,
  /\bOOM\b/,
  /exit(ed with)? code:? (52|137)\b/i,
  /exited with code (52|137)\b/i,
  /exit status:? (52|137)\b/i,
];

/** Whether a text says the JVM or its container ran out of memory. */
export function isMemoryKill(text: string | undefined): boolean {
  return !!text && MEMORY.some((r) => r.test(text));
}

/** What an executor's removal reason says happened (see RemovalKind). */
export function removalKind(reason: string | undefined): RemovalKind {
  const r = reason ?? '';
  if (/^Executor killed by driver\.?$/i.test(r.trim()) || /exited from explicit termination request/i.test(r)) return 'release';
  if (/Executor decommission/i.test(r) || /was preempted/i.test(r)) return 'decommission';
  if (isMemoryKill(r)) return 'memory';
  return 'lost';
}

/**
 * An `ExecutorLostFailure` whose executor "exited unrelated to the running tasks"
 * (TaskEndReason.scala L261-273): the task failed because its executor went away, not because
 * of anything it did.
 */
export function isUnrelatedExecutorLoss(errorMessage: string): boolean {
  return /ExecutorLostFailure/.test(errorMessage) && /exited unrelated to the running tasks/.test(errorMessage);
}

/** The first line of an error text, cut: what a message quotes of it. */
export function firstLine(text: string, max = 120): string {
  const line = text.split(/\r?\n/, 1)[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
