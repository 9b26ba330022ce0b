/** Whether processes we started are still there (signal 0 checks without sending anything). */

/** Whether a process still runs. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of a process group (its leader's pid) still runs. */
export function isGroupAlive(pgid: number): boolean {
  return isAlive(-pgid);
}
