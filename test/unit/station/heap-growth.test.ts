import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The peak heap, in MB, of a fresh Node process that keeps ~40 MB alive while it allocates ten
 * times that (a bulk run's shape: a bounded set in flight, everything else garbage soon after),
 * with or without boundHeapGrowth called first.
 */
function peakHeapMb(bounded: boolean): number {
  const module = path.resolve('main/station/bulk/heap-growth.ts');
  const script = `
    const { boundHeapGrowth } = await import(${JSON.stringify(module)});
    if (${bounded}) boundHeapGrowth();
    const inFlight = new Array(1000);
    let peak = 0;
    for (let i = 0; i < 12000; i++) {
      inFlight[i % inFlight.length] = Array.from({ length: 1000 }, (_, k) => ({ k, i }));
      if (i % 50 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    console.log(peak / 1048576);
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    // Two of these run in one test, well inside its 120 s: a safety net against a hung child, not a speed check.
    timeout: 50_000,
  });
  return Number(out.trim());
}

describe('boundHeapGrowth', () => {
  it('keeps the heap near what is alive where V8 alone lets it grow to several times that', () => {
    const unbounded = peakHeapMb(false);
    const bounded = peakHeapMb(true);
    // Measured here: ~225 MB unbounded, ~87 MB bounded, for ~40 MB alive.
    expect(bounded).toBeLessThan(unbounded * 0.6);
    expect(bounded).toBeLessThan(130);
  });
});
