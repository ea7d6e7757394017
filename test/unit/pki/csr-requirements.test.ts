// An EST server's CSR attributes (RFC 7030 §4.5.2) read and held against CSRs: each thing a CSR
// lacks is said in words; a CSR that has it all passes; an empty answer asks nothing.
import { describe, expect, it } from 'vitest';
import { describeCsrAttributes, parseCsrAttributes } from '../../../main/pki/csr-attributes';
import { refuseUnmet, requirementsOf, unmetBy } from '../../../main/pki/csr-requirements';
import { csrAttributesDer, OIDS } from '../../helpers/csr-attributes';
import { makeCsr, P256, P384, RSA2048 } from '../../helpers/csr';

const p384WithSerial = requirementsOf(
  parseCsrAttributes(
    csrAttributesDer({
      oids: [OIDS.ecdsaWithSha384, OIDS.serialNumber],
      attributes: [{ type: OIDS.ecPublicKey, values: [OIDS.p384] }],
    }),
  ),
);

describe('CSR attributes', () => {
  it('reads OIDs and attributes, and says them in words', () => {
    const der = csrAttributesDer({
      oids: [OIDS.ecdsaWithSha384, OIDS.challengePassword],
      attributes: [
        { type: OIDS.ecPublicKey, values: [OIDS.p384] },
        { type: OIDS.rsaEncryption, values: [3072] },
      ],
    });
    expect(parseCsrAttributes(der)).toEqual({
      oids: [OIDS.ecdsaWithSha384, OIDS.challengePassword],
      attributes: [
        { type: OIDS.ecPublicKey, values: [OIDS.p384] },
        { type: OIDS.rsaEncryption, values: ['02020c00'] },
      ],
    });
    expect(describeCsrAttributes(der)).toBe(
      'The server asks CSRs for: ecdsa-with-SHA384; challengePassword; an EC key (P-384); an RSA key (02020c00).',
    );
    expect(requirementsOf(parseCsrAttributes(der))).toEqual({
      signatureAlgorithms: [OIDS.ecdsaWithSha384],
      keys: [
        { type: 'ec', curves: [OIDS.p384] },
        { type: 'rsa', bits: 3072 },
      ],
      subjectAttributes: [],
      challengePassword: true,
    });
    expect(parseCsrAttributes(new Uint8Array(0))).toEqual({ oids: [], attributes: [] });
    expect(describeCsrAttributes(new Uint8Array(0))).toBe('The server asks nothing in particular of a CSR.');
  });

  it('refuses an answer that is not CsrAttrs, coded', () => {
    expect(() => parseCsrAttributes(Uint8Array.of(0x04, 0x01, 0x00))).toThrow(
      expect.objectContaining({ code: 'ENROLL_BAD_RESPONSE' }),
    );
  });

  it('names each thing a CSR lacks: signature algorithm, key, subject attribute', async () => {
    expect(unmetBy(await makeCsr({ alg: P256, name: 'CN=d1' }), p384WithSerial)).toEqual([
      'the server takes ecdsa-with-SHA384 signatures; the CSR is signed ecdsa-with-SHA256',
      'the server takes EC keys on P-384; the CSR has an EC key on P-256',
      'the server wants serialNumber in the subject; the CSR has none',
    ]);
    expect(unmetBy(await makeCsr({ alg: P384, name: 'CN=d1,2.5.4.5=SN-7' }), p384WithSerial)).toEqual([]);
    expect(unmetBy(await makeCsr({ alg: RSA2048, name: 'CN=d1,2.5.4.5=SN-7' }), p384WithSerial)).toEqual([
      'the server takes ecdsa-with-SHA384 signatures; the CSR is signed sha256WithRSAEncryption',
      'the server takes EC keys on P-384; the CSR has an RSA key of 2048 bits',
    ]);
  });

  it('an RSA size is a minimum; refusal is coded and says nothing was sent', async () => {
    const rsa3072 = requirementsOf(
      parseCsrAttributes(csrAttributesDer({ attributes: [{ type: OIDS.rsaEncryption, values: [3072] }] })),
    );
    expect(unmetBy(await makeCsr({ alg: RSA2048 }), rsa3072)).toEqual([
      'the server takes RSA keys of 3072 bits; the CSR has an RSA key of 2048 bits',
    ]);
    const csr = await makeCsr({ alg: P256 });
    expect(() => refuseUnmet(csr, p384WithSerial, 'nrf-1')).toThrow(
      expect.objectContaining({
        code: 'CSR_ATTRIBUTES_UNMET',
        message: expect.stringMatching(/^nrf-1 cannot be enrolled.*Nothing was sent/),
      }),
    );
    expect(() => refuseUnmet(csr, undefined, 'nrf-1')).not.toThrow();
  });
});
