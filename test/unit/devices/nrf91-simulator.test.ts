// The simulated modem's UART as at_host drives it: RX off while a command runs, back on as the
// final result goes out — checked from a host that answers the moment it has read one.
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../../main/devices/memory-pair';
import { Nrf91Simulator } from '../../../main/devices/nrf91-sim/simulator';
import type { Transport } from '../../../main/devices/transport';

/**
 * Everything the host has read so far, as text; `once` resolves when it matches, or after 5 s
 * (what a lost command would never send), so a test that waits in vain fails on what it reads.
 */
function listen(host: Transport): { text: () => string; once: (pattern: RegExp) => Promise<void> } {
  let text = '';
  const waiting: Array<{ pattern: RegExp; resolve: () => void }> = [];
  host.onData((chunk) => {
    text += Buffer.from(chunk).toString('latin1');
    for (const w of waiting.filter((w) => w.pattern.test(text))) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    text: () => text,
    once: (pattern) =>
      pattern.test(text)
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiting.push({ pattern, resolve });
            setTimeout(resolve, 5_000);
          }),
  };
}

/** A simulated modem on an in-memory link, and what its host reads. */
function simulatedModem(seed: string) {
  const [host, device] = createMemoryPair(seed);
  return { host, sim: new Nrf91Simulator(device, { seed }), heard: listen(host) };
}

const count = (text: string, line: RegExp) => text.split(/[\r\n]+/).filter((l) => line.test(l)).length;

describe('the simulated nRF91 UART', () => {
  it("hears a command sent as soon as a split reply's OK ends in CR, before its LF", async () => {
    const { host, sim, heard } = simulatedModem('rx-1');
    // 15 IMEI digits, CRLF, OK, CRLF: 21 bytes, so sent two at a time the last two go as "K\r" and "\n".
    sim.inject('split', /^AT\+CGSN/);
    await host.write(Buffer.from('AT+CGSN\r'));
    await heard.once(/OK\r/);
    // The host takes the CR as the end of the OK line and answers at once, as the station's line reader does.
    await host.write(Buffer.from('AT\r'));
    await heard.once(/OK[\r\n]+OK\r\n/);
    expect(sim.received).toEqual(['AT+CGSN', 'AT']);
    expect(count(heard.text(), /^OK$/)).toBe(2);
  });

  it('still drops what arrives while a command runs, before its final result', async () => {
    const { host, sim, heard } = simulatedModem('rx-2');
    // The reply is held 1.5 s: a command sent meanwhile meets RX off and is lost, as on at_host.
    sim.inject('slow', /^AT\+CGMR/);
    await host.write(Buffer.from('AT+CGMR\r'));
    await host.write(Buffer.from('AT\r'));
    await heard.once(/OK\r\n/);
    // Then a command after the OK is heard again.
    await host.write(Buffer.from('AT\r'));
    await heard.once(/OK[\r\n]+OK\r\n/);
    expect(sim.received).toEqual(['AT+CGMR', 'AT']);
  });
});
