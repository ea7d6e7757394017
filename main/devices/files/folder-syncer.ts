// syncfs(2) for one folder's filesystem, on Linux, many times in a run (file-durability.ts). Node
// has no syncfs, and spawning `sync -f` each time forks this whole process — a bulk run holds a few
// hundred MB, so each fork cost the main thread milliseconds (#18). So one small shell is started
// once and kept: each request is a line on its stdin, and it answers each with `0` once its
// `sync -f` returned, or `1` if it failed. The folder travels in argv, never through the shell's
// parsing. A helper that is gone answers every request false: the caller then fsyncs file by file.
import { spawn, type ChildProcess } from 'node:child_process';

const LOOP = 'while read -r _; do if sync -f -- "$1"; then echo 0; else echo 1; fi; done';

export class FolderSyncer {
  readonly #child: ChildProcess;
  /** Requests in the order they were sent: the shell answers them in that order. */
  #waiting: Array<(ok: boolean) => void> = [];
  #gone = false;

  constructor(folder: string) {
    this.#child = spawn('sh', ['-c', LOOP, 'sh', folder], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.#child.stdout!.setEncoding('ascii');
    this.#child.stdout!.on('data', (answers: string) => {
      for (const answer of answers) if (answer === '0' || answer === '1') this.#waiting.shift()?.(answer === '0');
      if (this.#waiting.length === 0) this.#hold(false);
    });
    this.#child.on('error', () => this.#end());
    this.#child.on('exit', () => this.#end());
    this.#child.stdin!.on('error', () => this.#end());
    this.#hold(false);
  }

  /** True once the folder's filesystem was synced; false when it could not be (the helper is gone, or sync failed). */
  sync(): Promise<boolean> {
    if (this.#gone) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#hold(true);
      this.#child.stdin!.write('\n');
    });
  }

  close(): void {
    this.#child.stdin!.end();
    this.#end();
  }

  /**
   * Idle, it must not keep the CLI alive (once this process exits, its stdin closes and the loop
   * ends); waiting for an answer, it must, or Node would end the run with the sync unanswered.
   */
  #hold(waiting: boolean): void {
    for (const handle of [this.#child, this.#child.stdin, this.#child.stdout]) {
      const refs = handle as unknown as { ref?: () => void; unref?: () => void };
      if (waiting) refs.ref?.();
      else refs.unref?.();
    }
  }

  #end(): void {
    this.#gone = true;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve(false);
  }
}
