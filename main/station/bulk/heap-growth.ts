// A bulk run's memory (#18). What it holds alive is bounded: a few hundred requests in flight,
// nothing kept once a certificate is reported. But where memory is plentiful V8 lets its heap grow
// up to four times what survived the last full collection before it collects again, and raises that
// ceiling as a run goes on: a 100,000-CSR run peaked at ~300 MB RSS where 10,000 peaked at ~245 MB,
// though the heap after each full collection stayed at 30–45 MB throughout. Letting the heap grow
// 30 % past what survived instead keeps the peak near what the run holds: measured 200 MB for
// 10,000 and 216 MB for 100,000 (RSS flat at ~210 MB from the fifth second to the end), at the same
// certificates per second within the noise of alternating runs (more full collections, each of a
// small heap). The setting is process-wide and read after every collection, so `enroll` makes it
// first: made after the CA's unlock, the first collection's ceiling (set before it) let the heap
// reach 90 MB once, and the peak stayed at ~235 MB. It applies to the main thread and to the
// workers started after it.
import v8 from 'node:v8';

/** The heap's growth past its live size before the next full collection, in percent. */
export const BULK_HEAP_GROWTH_PERCENT = 30;

/** For the rest of this process, the heap grows at most BULK_HEAP_GROWTH_PERCENT past what is alive. */
export function boundHeapGrowth(percent = BULK_HEAP_GROWTH_PERCENT): void {
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
