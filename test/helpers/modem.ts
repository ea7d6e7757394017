// Builds a host-side modem client on any Transport, with a file logger.
import { AtClient } from '../../main/devices/nrf91/at-client';
import { Nrf91Modem } from '../../main/devices/nrf91/modem';
import { createMemoryPair } from '../../main/devices/memory-pair';
import { Nrf91Simulator, type SimulatorOptions } from '../../main/devices/nrf91-sim/simulator';
import type { Transport } from '../../main/devices/transport';
import { fileLogger, tempDir } from './station';

export function modemOn(transport: Transport): Nrf91Modem {
  const { log } = fileLogger(tempDir());
  return new Nrf91Modem(new AtClient(transport, log), log);
}

export function memoryModem(options: Partial<SimulatorOptions> = {}): {
  modem: Nrf91Modem;
  sim: Nrf91Simulator;
  host: Transport;
} {
  const [host, device] = createMemoryPair('sim');
  const sim = new Nrf91Simulator(device, { seed: 'mem-1', ...options });
  return { modem: modemOn(host), sim, host };
}

/** A small self-signed PEM certificate, to write as a CA or client certificate. */
export async function samplePem(cn = 'Sample'): Promise<string> {
  const { x509, webcrypto } = await import('../../main/pki/crypto');
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${cn}`,
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    keys: keys as never,
    signingAlgorithm: alg,
  });
  return cert.toString('pem');
}
