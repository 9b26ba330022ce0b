/**
 * The terminal of one Run File run: spark-submit's output as it comes, its exit; Ctrl+C, closing
 * the terminal and "Stop" all stop the job the same way (launcher/jobProcess.ts), and a watchdog
 * stops it when the extension host dies.
 */
import * as vscode from 'vscode';
import { commandLine, SubmitCommand } from '../../launcher/submitCommand';
import { Job, startJob } from '../../launcher/jobProcess';

export interface RunTerminalOptions {
  readonly cmd: SubmitCommand;
  readonly cwd: string;
  /** The whole environment of the job. */
  readonly env: NodeJS.ProcessEnv;
  /** What the environment adds that the command line does not show (PATH, SPARK_HOME), for the header. */
  readonly envNote?: string;
  /** dist/watchdog.js, run by this Node. */
  readonly watchdogScript?: string;
  readonly onLine: (line: string) => void;
  readonly onExit: (code: number | null) => void;
}

export class RunTerminal implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.write.event;
  private opened = false;
  private buffered: string[] = [];
  private job: Job | undefined;
  private tail = '';

  constructor(private readonly o: RunTerminalOptions) {}

  /** Starts at once (open() may come later, or never for a hidden terminal); the pid of spark-submit. */
  start(): number | undefined {
    this.out(`\x1b[2m$ ${commandLine(this.o.cmd)}\x1b[0m\r\n`);
    if (this.o.envNote) this.out(`\x1b[2m  (${this.o.envNote})\x1b[0m\r\n`);
    const job = startJob({
      command: this.o.cmd.command,
      args: this.o.cmd.args,
      cwd: this.o.cwd,
      env: this.o.env,
      watchdog: this.o.watchdogScript ? { script: this.o.watchdogScript, node: process.execPath } : undefined,
    });
    this.job = job;
    const onData = (d: Buffer) => {
      const text = d.toString();
      this.out(text.replace(/\r?\n/g, '\r\n'));
      const lines = (this.tail + text).split('\n');
      this.tail = lines.pop() ?? '';
      for (const l of lines) this.o.onLine(l.replace(/\r$/, ''));
    };
    job.child.stdout?.on('data', onData);
    job.child.stderr?.on('data', onData);
    job.child.on('error', (e) => this.out(`\r\n[spark-observatory] could not start spark-submit: ${e.message}\r\n`));
    void job.exited.then(({ code, signal }) => {
      this.out(`\r\n\x1b[2m[spark-observatory] spark-submit ended: ${signal ? `signal ${signal}` : `exit code ${code}`}\x1b[0m\r\n`);
      this.job = undefined;
      this.o.onExit(code);
    });
    return job.pid;
  }

  open(): void {
    this.opened = true;
    for (const b of this.buffered) this.write.fire(b);
    this.buffered = [];
  }

  close(): void {
    this.stop();
  }

  handleInput(data: string): void {
    if (data === '\x03') {
      this.out('^C\r\n');
      this.stop();
    }
  }

  /** Stops the job (the Python driver first, then the rest); returns at once. */
  stop(): void {
    this.job?.stop();
  }

  get running(): boolean {
    return this.job !== undefined;
  }

  private out(s: string): void {
    if (this.opened) this.write.fire(s);
    else this.buffered.push(s);
  }
}
