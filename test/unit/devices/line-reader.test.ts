// The reader gives the same lines however the bytes are split, and survives hostile input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineReader, type LineEvent } from '../../../main/devices/nrf91/line-reader';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBSTCB76ADAgECAhRLbrvcOKOK\nOK==\n-----END CERTIFICATE-----';
const CMNG_SHA = 'C4F8E2648D2298287E2FBD87F964EF41AABBB0762071BCEFF66C339BD889F722';
/** A %CMNG list line carrying PEM whose lines end in CRLF, as quoted by the modem. */
const CMNG_LINE = `%CMNG: 16842753,0,"${CMNG_SHA}","${PEM.replace(/\n/g, '\r\n')}"`;
const stream = Buffer.concat([
  Buffer.from('\r\n*** Booting nRF Connect SDK v2.9.0 ***\r\n'),
  Buffer.from('\x1b[1;32mThe AT host sample started\x1b[0m\r\n'),
  Buffer.from('%KEYGEN: "MIIBCjCBrwIBADAvMS0wKwYDVQQDDCQ1MDUwOKOK.0oRDoQEmoQRBIVhP2dn3hQlQUFA2OK"\r\nOK\r\n'),
  Buffer.from(`${CMNG_LINE}\r\nOK\r\n`),
  Buffer.from([0xff, 0xfe, 0x41, 0x0d, 0x0a]),
  Buffer.from('\r\n\r\n+CEREG: 2\r\n+CME ERROR: 518\r\n'),
]);

function readAll(chunks: Uint8Array[]): LineEvent[] {
  const reader = new LineReader();
  return chunks.flatMap((c) => reader.push(c));
}

const whole = readAll([stream]);

describe('LineReader', () => {
  it('reads the recorded stream into the expected lines', () => {
    expect(whole.map((e) => (e.kind === 'line' ? e.text : `<${e.kind}>`))).toEqual([
      '*** Booting nRF Connect SDK v2.9.0 ***',
      'The AT host sample started',
      '%KEYGEN: "MIIBCjCBrwIBADAvMS0wKwYDVQQDDCQ1MDUwOKOK.0oRDoQEmoQRBIVhP2dn3hQlQUFA2OK"',
      'OK',
      CMNG_LINE,
      'OK',
      '\ufffd\ufffdA',
      '+CEREG: 2',
      '+CME ERROR: 518',
    ]);
  });

  it('gives the same lines for 10,000 random splits of the same bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let last = 0;
        for (const p of [...points, stream.length]) {
          chunks.push(stream.subarray(last, p));
          last = p;
        }
        expect(readAll(chunks)).toEqual(whole);
      }),
      { numRuns: 10_000 },
    );
  });

  it('lets a final result end a stray open quote instead of swallowing the reply', () => {
    const events = readAll([Buffer.from('noise " here\r\nOK\r\nnext\r\n')]);
    expect(events).toEqual([
      { kind: 'line', text: 'noise " here' },
      { kind: 'line', text: 'OK' },
      { kind: 'line', text: 'next' },
    ]);
  });

  it('discards a flooded line over the cap, reports it, and reads on', () => {
    const reader = new LineReader(64 * 1024);
    const events = [...reader.push(Buffer.alloc(70 * 1024, 0x23)), ...reader.push(Buffer.from('\r\nOK\r\n'))];
    expect(events[0]).toMatchObject({ kind: 'overflow' });
    expect(events.at(-1)).toEqual({ kind: 'line', text: 'OK' });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const reader = new LineReader(512);
        for (const event of reader.push(bytes)) if (event.kind === 'line') expect(event.text.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});
