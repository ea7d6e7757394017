// Certificates and CSRs parsed once. A job carries its CSR and certificate as DER from step to
// step (each step starts from its committed row), and the ASN.1 library takes about half a
// millisecond to parse one; in a bulk run that was most of the station's time per certificate
// (#18). The last few hundred parsed objects are kept by their exact bytes; they are read-only.
import { x509 } from './crypto';
import { Recent } from './recent';

class ParsedByDer<T> {
  readonly #parse: (der: Uint8Array) => T;
  readonly #kept = new Recent<T>();

  constructor(parse: (der: Uint8Array) => T) {
    this.#parse = parse;
  }

  get(der: Uint8Array): T {
    const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
    let parsed = this.#kept.get(key);
    if (parsed === undefined) {
      parsed = this.#parse(der.slice());
      this.#kept.keep(key, parsed);
    }
    return parsed;
  }
}

const certificates = new ParsedByDer((der) => new x509.X509Certificate(der));
const requests = new ParsedByDer((der) => new x509.Pkcs10CertificateRequest(der));

export function certificateOf(der: Uint8Array): x509.X509Certificate {
  return certificates.get(der);
}

export function csrOf(der: Uint8Array): x509.Pkcs10CertificateRequest {
  return requests.get(der);
}
