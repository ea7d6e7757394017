// A command's results: one line each, whether written one at a time or many in one write.
import { describe, expect, it } from 'vitest';
import { runInvocation, type Invocation } from '../../../main/cli/invocation';
import { createOutput } from '../../../main/cli/output';

function capture(): { invocation: Invocation; writes: string[] } {
  const writes: string[] = [];
  const sink = { write: (text: string | Uint8Array) => void writes.push(String(text)) };
  const invocation: Invocation = {
    stdout: sink,
    stderr: sink,
    interactive: false,
    prompt: () => Promise.reject(new Error('no terminal')),
    setExitCode: () => undefined,
    onCancel: () => () => undefined,
  };
  return { invocation, writes };
}

const results: Array<readonly [Record<string, unknown>, string]> = [
  [{ csr: 'a.der', status: 'issued' }, '✔ a.der'],
  [{ csr: 'b.der', status: 'failed', code: 'CSR_MALFORMED' }, '✘ b.der'],
  [{ csr: 'c.der', status: 'issued', message: 'line\nbreak' }, '✔ c.der'],
];

describe('CLI output', () => {
  for (const json of [true, false]) {
    it(`writes many records in one write, each as record() writes it (${json ? 'JSON' : 'human'})`, async () => {
      const one = capture();
      await runInvocation(one.invocation, async () => {
        for (const [value, human] of results) createOutput(json).record(value, human);
      });
      const many = capture();
      await runInvocation(many.invocation, async () => createOutput(json).records(results));
      expect(many.writes).toHaveLength(1);
      expect(many.writes[0]).toBe(one.writes.join(''));
      expect(one.writes).toHaveLength(3);
      if (json)
        expect(
          many.writes[0]!.trimEnd()
            .split('\n')
            .map((l) => JSON.parse(l) as unknown),
        ).toEqual(results.map(([v]) => v));
    });
  }

  it('writes nothing for no records', async () => {
    const none = capture();
    await runInvocation(none.invocation, async () => createOutput(true).records([]));
    expect(none.writes).toEqual([]);
  });
});
