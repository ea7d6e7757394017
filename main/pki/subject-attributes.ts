// The subject attributes the station knows, by their X.520 names and OIDs: one table for the CSRs
// it reads, the CSRs it builds (TPM) and the certificates it issues.
export const SUBJECT_ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  CN: '2.5.4.3',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  serialNumber: '2.5.4.5',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  E: '1.2.840.113549.1.9.1',
};

/** @peculiar/x509 names serialNumber and UID only by OID, in `Name.toJSON()` and in JSON names it builds. */
const UNNAMED_BY_X509 = new Set(['serialNumber', 'UID']);

/** The key @peculiar/x509 understands in a JSON name for this attribute. */
export function x509NameKey(attribute: string): string {
  return UNNAMED_BY_X509.has(attribute) ? (SUBJECT_ATTRIBUTE_OIDS[attribute] ?? attribute) : attribute;
}

const NAME_OF_OID = new Map(Object.entries(SUBJECT_ATTRIBUTE_OIDS).map(([name, oid]) => [oid, name]));

/** The attribute's X.520 name for a key from `Name.toJSON()` (which may be a bare OID). */
export function attributeName(key: string): string {
  return NAME_OF_OID.get(key) ?? key;
}
