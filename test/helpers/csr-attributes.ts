// CsrAttrs DER (RFC 7030 §4.5.2) for a test EST server to answer /csrattrs with: bare OIDs, and
// attributes whose values are OIDs (a curve) or INTEGERs (an RSA key size).
import * as asn1js from 'asn1js';

export const OIDS = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  serialNumber: '2.5.4.5',
  challengePassword: '1.2.840.113549.1.9.7',
} as const;

export function csrAttributesDer(asked: {
  oids?: string[];
  attributes?: Array<{ type: string; values: Array<string | number> }>;
}): Uint8Array {
  const items = [
    ...(asked.oids ?? []).map((oid) => new asn1js.ObjectIdentifier({ value: oid })),
    ...(asked.attributes ?? []).map(
      ({ type, values }) =>
        new asn1js.Sequence({
          value: [
            new asn1js.ObjectIdentifier({ value: type }),
            new asn1js.Set({
              value: values.map((v) =>
                typeof v === 'number' ? new asn1js.Integer({ value: v }) : new asn1js.ObjectIdentifier({ value: v }),
              ),
            }),
          ],
        }),
    ),
  ];
  return new Uint8Array(new asn1js.Sequence({ value: items }).toBER());
}
