// T10, the soak: 1,000 device sessions on simulated modems, a hundred at a time, each meeting up to
// two faults drawn at random from every fault the simulator has (seeded, so a failure can be
// replayed) at random commands. No session may hang; each ends verified or with a stable code; no
// key or certificate lands on another device.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/error-data';
import { EnrollerError } from '../../../shared/errors';
import { inProcessModems, type InProcessModem } from '../../../main/devices/nrf91-sim/memory-host';
import { FAULTS } from '../../../main/devices/nrf91-sim/simulator';
import { AtClient } from '../../../main/devices/nrf91/at-client';
import { CredentialType, Nrf91Modem, sha256Hex, toModemText } from '../../../main/devices/nrf91/modem';
import { samplePem } from '../../helpers/modem';
import { fileLogger, tempDir } from '../../helpers/station';

const SESSIONS = Number(process.env.ENROLLER_SOAK_SESSIONS ?? 1000);
const AT_ONCE = 100;
const TAG = 16842753;
/** Far beyond any session's own deadlines: reaching it is a hang. */
const HANG_MS = 120_000;

const COMMANDS = [
  /^AT\+CGSN/,
  /^AT\+CGMR/,
  /^AT\+CGMM/,
  /^AT%ATTESTTOKEN/,
  /^AT\+CFUN\?/,
  /^AT%CMNG=3/,
  /^AT%KEYGEN/,
  /^AT%CMNG=1/,
  /^AT%CMNG=0/,
];

/** mulberry32: a small seeded generator, so a soak that fails can be run again the same way. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Outcome = { ok: true; spki: string } | { ok: false; code: string; hang?: boolean };

/** One device session: connect, identify, offline, key and CSR, two writes, each read back. */
async function session(device: InProcessModem, pems: readonly [string, string]): Promise<Outcome> {
  const { log } = fileLogger(tempDir('enroller-soak-'));
  const modem = new Nrf91Modem(new AtClient(device.plug(), log), log, {
    reopen: async () => device.plug(),
    reenumerationWindowMs: 3_000,
  });
  try {
    await modem.connect();
    const { imei, deviceUuid } = await modem.identify();
    const spki = await modem.withOffline(async () => {
      const key = await modem.generateKey(TAG, `CN=nrf-${imei}`, deviceUuid);
      for (const [type, pem] of [
        [CredentialType.rootCa, pems[0]],
        [CredentialType.clientCert, pems[1]],
      ] as const) {
        const { sha256 } = await modem.write(TAG, type, pem, { deleteFirst: true });
        await modem.verifyStored(TAG, type, sha256);
      }
      return Buffer.from(key.csr.publicKeySpki).toString('base64');
    });
    return { ok: true, spki };
  } catch (error) {
    return { ok: false, code: error instanceof EnrollerError ? error.code : `UNCODED ${String(error)}` };
  } finally {
    await modem.at.close().catch(() => undefined);
  }
}

function withHangGuard(work: Promise<Outcome>): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, code: 'HANG', hang: true }), HANG_MS);
  });
  return Promise.race([work, hang]).finally(() => clearTimeout(timer));
}

describe('T10 link soak', () => {
  it(`${SESSIONS} sessions with random faults: no hangs, every outcome coded, nothing crossed`, async () => {
    const draw = random(0x5eed);
    const devices = inProcessModems(SESSIONS, {
      dir: tempDir('enroller-soak-nvm-'),
      keygenDelayMs: 0,
      seedPrefix: 's',
    });
    const pems = [await samplePem('Soak root'), await samplePem('Soak client')] as const;
    const faultsOf = devices.map((device) => {
      const count = Math.floor(draw() * 3); // 0, 1 or 2 faults
      const drawn = Array.from({ length: count }, () => ({
        fault: FAULTS[Math.floor(draw() * FAULTS.length)]!,
        when: COMMANDS[Math.floor(draw() * COMMANDS.length)]!,
      }));
      for (const { fault, when } of drawn) device.inject(fault, when);
      return drawn;
    });

    const outcomes: Outcome[] = new Array(SESSIONS);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < SESSIONS; i = next++) outcomes[i] = await withHangGuard(session(devices[i]!, pems));
    };
    await Promise.all(Array.from({ length: AT_ONCE }, worker));

    const failed = outcomes.flatMap((o, i) => (o.ok ? [] : [{ i, code: o.code, faults: faultsOf[i] }]));
    expect(
      failed.filter((f) => f.code === 'HANG'),
      'sessions that hung',
    ).toEqual([]);
    const uncoded = failed.filter((f) => !ErrorCode.safeParse(f.code).success);
    expect(uncoded, 'outcomes without a stable code').toEqual([]);
    outcomes.forEach((outcome, i) => {
      if (!outcome.ok) return;
      // The CSR's key is the one this modem holds, and the certificate it lists is the one written.
      const sim = devices[i]!.current()!;
      expect(sim.store.get(TAG, 2)!.content.replace(/\n/g, '')).toContain(outcome.spki);
      expect(sim.store.get(TAG, 1)!.sha256).toBe(sha256Hex(toModemText(pems[1])));
    });
    const keys = outcomes.filter((o) => o.ok).map((o) => (o as { spki: string }).spki);
    expect(new Set(keys).size, 'every key is its own device').toBe(keys.length);
    // With at most two faults and three tries per command, a session may fail only on a fault
    // pair that defeats it: the soak reports them, and most sessions must end verified.
    console.log(
      `soak: ${SESSIONS - failed.length} verified, ${failed.length} failed`,
      failed
        .slice(0, 10)
        .map((f) => `${f.code} after ${(f.faults ?? []).map((d) => `${d.fault}@${d.when.source}`).join('+')}`),
    );
    expect(failed.length).toBeLessThan(SESSIONS * 0.02);
  }, 600_000);
});
