// Certificates and CSRs parsed once. A job carries its CSR and certificate as DER from step to
// step (each step starts from its committed row), and the ASN.1 library takes about half a
// millisecond to parse one; in a bulk run that was most of the station's time per certificate
// (#18). The last few hundred parsed objects are kept by their exact bytes; they are read-only.
import { x509 } from './crypto';
import { keyOfBytes, Recent } from './recent';

class ParsedByDer<T> {
  readonly #parse: (der: Uint8Array) => T;
  readonly #kept = new Recent<T>();

  constructor(parse: (der: Uint8Array) => T) {
    this.#parse = parse;
  }

  get(der: Uint8Array): T {
    let parsed = this.#kept.get(keyOfBytes(der));
    if (parsed === undefined) {
      parsed = this.#parse(der.slice());
      this.keep(der, parsed);
    }
    return parsed;
  }

  /** An object for these bytes made another way (by the one who signed them), kept as if parsed. */
  keep(der: Uint8Array, parsed: T): void {
    this.#kept.keep(keyOfBytes(der), parsed);
  }
}

const certificates = new ParsedByDer((der) => new x509.X509Certificate(der));
const requests = new ParsedByDer((der) => new x509.Pkcs10CertificateRequest(der));

export function certificateOf(der: Uint8Array): x509.X509Certificate {
  return certificates.get(der);
}

/** The station CA's own certificate, put together as it was signed: the next `certificateOf` of its bytes finds it. */
export function keepCertificate(der: Uint8Array, certificate: x509.X509Certificate): void {
  certificates.keep(der, certificate);
}

export function csrOf(der: Uint8Array): x509.Pkcs10CertificateRequest {
  return requests.get(der);
}
