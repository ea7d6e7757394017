// Reading a factory's CA from a PKCS#12 file (RFC 7292): its certificates and its private key.
// Password-integrity (MAC) and password-privacy (PBES2) modes, as OpenSSL 3 writes by default.
import * as pkijs from 'pkijs';
import { EnrollerError } from '../../../shared/errors';
import { x509 } from '../crypto';
import './key-vault'; // sets the pkijs crypto engine

const BAG = {
  key: '1.2.840.113549.1.12.10.1.1',
  shroudedKey: '1.2.840.113549.1.12.10.1.2',
  certificate: '1.2.840.113549.1.12.10.1.3',
};

export interface Pkcs12Contents {
  readonly certificates: x509.X509Certificate[];
  /** Unencrypted PKCS#8: re-encrypt it at once (key-vault.ts) and wipe this buffer. */
  readonly keyPkcs8: Uint8Array;
}

export async function readPkcs12(der: Uint8Array, password: string): Promise<Pkcs12Contents> {
  const secret = new TextEncoder().encode(password).buffer;
  const certificates: x509.X509Certificate[] = [];
  const keys: Uint8Array[] = [];
  try {
    const pfx = pkijs.PFX.fromBER(der.slice().buffer);
    await pfx.parseInternalValues({ password: secret, checkIntegrity: true });
    const safe = pfx.parsedValue?.authenticatedSafe;
    if (!safe) throw new Error('no authenticated safe');
    await safe.parseInternalValues({ safeContents: safe.safeContents.map(() => ({ password: secret })) });
    for (const contents of safe.parsedValue.safeContents as Array<{ value: pkijs.SafeContents }>) {
      for (const bag of contents.value.safeBags) {
        if (bag.bagId === BAG.certificate) {
          const certificate = (bag.bagValue as pkijs.CertBag).parsedValue as pkijs.Certificate;
          certificates.push(new x509.X509Certificate(certificate.toSchema().toBER()));
        } else if (bag.bagId === BAG.shroudedKey) {
          const shrouded = bag.bagValue as pkijs.PKCS8ShroudedKeyBag;
          // pkijs marks this protected, yet its own PKCS#12 example decrypts bags exactly this way.
          await (
            shrouded as unknown as { parseInternalValues(p: { password: ArrayBuffer }): Promise<void> }
          ).parseInternalValues({ password: secret });
          if (shrouded.parsedValue) keys.push(new Uint8Array(shrouded.parsedValue.toSchema().toBER()));
        } else if (bag.bagId === BAG.key) {
          keys.push(new Uint8Array((bag.bagValue as pkijs.PrivateKeyInfo).toSchema().toBER()));
        }
      }
    }
  } catch (error) {
    throw new EnrollerError(
      'CA_IMPORT_INVALID',
      'The PKCS#12 file cannot be opened (wrong password, or not a PKCS#12 file).',
      { cause: (error as Error).message },
    );
  }
  if (keys.length !== 1)
    throw new EnrollerError(
      'CA_IMPORT_INVALID',
      `The PKCS#12 file must hold exactly one private key; it holds ${keys.length}.`,
    );
  return { certificates, keyPkcs8: keys[0]! };
}
