// Requests taken in are remembered by their bytes (a job takes its CSR in twice), except where the
// caller takes each in once (a bulk run's fast lane), which remembers only what it hands on.
import { describe, expect, it } from 'vitest';
import { intakeCsr, rememberAccepted } from '../../../main/pki/csr-intake';
import { makeCsr } from '../../helpers/csr';

describe('intakeCsr remembering', () => {
  it('serves the same request taken in again from memory, by default', async () => {
    const der = await makeCsr({ name: 'CN=remembered' });
    const first = await intakeCsr(der);
    expect(await intakeCsr(der)).toBe(first);
  });

  it('takes a request in afresh each time with remember: false, and keeps nothing of it', async () => {
    const der = await makeCsr({ name: 'CN=not-remembered' });
    const first = await intakeCsr(der, { remember: false });
    const second = await intakeCsr(der, { remember: false });
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    const remembered = await intakeCsr(der);
    expect(remembered).not.toBe(first);
    expect(remembered).not.toBe(second);
  });

  it('remembers a request taken in once when it is handed on, under the rules it was taken in by', async () => {
    const der = await makeCsr({ name: 'CN=handed-on' });
    const taken = await intakeCsr(der, { remember: false });
    rememberAccepted(taken, { remember: false });
    expect(await intakeCsr(der)).toBe(taken);
    expect(await intakeCsr(der, { allowRequestedSans: true }), 'other rules take it in afresh').not.toBe(taken);
  });
});
