// Worker threads fed in batches, for a bulk run's heavy lifting (#18: proofs of possession, file
// creation): many requests ride one message, so a message's cost stays small beside the work it
// carries, and the main thread goes on parsing, signing and recording meanwhile. A worker's code
// is a few lines of Node's own API given as a string defining `answer(request)`: nothing to
// bundle, the same in the CLI bundle, under tsx and in tests. Sits below every layer.
import { Worker } from 'node:worker_threads';

/**
 * These bytes in a buffer of their own. A message copies a typed array's whole buffer, and a small
 * Buffer (a file read, a string encoded) is a view on Node's shared 8 KB pool: sent as it is, a
 * few hundred bytes would carry a whole slab of other data across.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/** Requests per message when they come faster than one turn of the event loop. */
const BATCH = 32;

export class WorkerBatches<Request, Answer> {
  readonly #workers: Worker[];
  readonly #waiting = new Map<number, Array<(answer: Answer | Error) => void>>();
  #batch: Array<{ request: Request; done: (answer: Answer | Error) => void }> = [];
  #scheduled = false;
  #nextId = 0;
  #turn = 0;
  /** Set when a worker failed: every request after it is refused at once (the caller does it another way). */
  #broken: Error | undefined;

  /**
   * `answer` is the source of `function answer(request) { … }`, run on each worker; `workerData`
   * is handed to each worker once, as it starts.
   */
  constructor(answer: string, workers = 1, workerData?: unknown) {
    const source = `
      const { parentPort } = require('node:worker_threads');
      ${answer}
      parentPort.on('message', ({ id, requests }) => parentPort.postMessage({ id, answers: requests.map(answer) }));
    `;
    this.#workers = Array.from({ length: workers }, () => this.#start(source, workerData));
  }

  run(request: Request): Promise<Answer> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise<Answer>((resolve, reject) => {
      this.#batch.push({ request, done: (answer) => (answer instanceof Error ? reject(answer) : resolve(answer)) });
      if (this.#batch.length >= BATCH) this.#send();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#send());
      }
    });
  }

  async close(): Promise<void> {
    this.#broken ??= new Error('The worker threads were closed.');
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  #start(source: string, workerData: unknown): Worker {
    const worker = new Worker(source, { eval: true, workerData });
    worker.unref();
    worker.on('message', ({ id, answers }: { id: number; answers: Answer[] }) => {
      const waiting = this.#waiting.get(id);
      this.#waiting.delete(id);
      waiting?.forEach((done, i) => done(answers[i]!));
    });
    worker.on('error', (error) => this.#failAll(error));
    // A worker that ends without an error (process.exit, killed) has still taken its batches with it.
    worker.on('exit', (code) => this.#failAll(new Error(`A worker thread ended (exit code ${code}).`)));
    return worker;
  }

  #send(): void {
    this.#scheduled = false;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    const id = this.#nextId++;
    this.#waiting.set(
      id,
      batch.map((b) => b.done),
    );
    this.#workers[this.#turn++ % this.#workers.length]!.postMessage({ id, requests: batch.map((b) => b.request) });
  }

  #failAll(error: Error): void {
    this.#broken ??= error;
    for (const { done } of this.#batch) done(error);
    this.#batch = [];
    for (const waiting of this.#waiting.values()) waiting.forEach((done) => done(error));
    this.#waiting.clear();
  }
}
