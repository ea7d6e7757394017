// The audit trail in a person's words: what happened, and who did it. The stored row keeps its
// stable action code (exports and checks read that); the screen says it in words.
const WHAT: Record<string, string> = {
  'approval.expired': 'Approval expired',
  'approval.forwarded': 'Approval forwarded to registration',
  'approvals.sink': 'Registration sink set',
  'batch.exported': 'Batch exported',
  'batch.started': 'Batch started',
  'bundle.imported': 'Enrollment bundle imported',
  'ca.imported': 'CA imported',
  'ca.initialized': 'Station CA created',
  'ca.unlocked': 'Station unlocked',
  'certificate.issued': 'Certificate issued',
  'certificate.reserved': 'Certificate number reserved',
  'certificate.recovered': 'Certificate recognised in the device and put back on the ledger',
  'certificate.revoked': 'Certificate revoked',
  'credential.consumed': 'One-time credential used',
  'credential.refused': 'One-time credential refused',
  'credential.released': 'One-time credential given back',
  'credentials.written': 'Credentials written to the device',
  'crl.numbered': 'Revocation list numbered',
  'csr.generated': 'Device generated its key',
  'csr.received': 'CSR received',
  'csr.superseded': 'Stored CSR replaced (device key changed)',
  'device-type.imported': 'Device type imported',
  'device-type.saved': 'Device type saved',
  'device.approved': 'Device identified and approved',
  'device.link-recovered': 'Device link recovered',
  'device.provisioned': 'Device enrolled and verified',
  'enroll.retried': 'Service was busy: asked again',
  'keychain.forgotten': 'Keychain forgot the passphrase',
  'keychain.remembered': 'Keychain remembers the passphrase',
  'operator.saved': 'Person registered',
  'profile.saved': 'Profile saved',
  'queue.synced': 'Queued work synced',
  'session.locked': 'Sign-in held after wrong PINs',
  'session.login': 'Signed in',
  'session.refused': 'Wrong PIN',
  'station.backed-up': 'Station backed up',
  'station.factoryMode': 'Factory mode changed',
  'station.restored': 'Station restored from a backup',
};

export function whatOf(action: string): string {
  return WHAT[action] ?? action.replace(/[.-]/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
}

/** Rows written before people had names here say `websocket:1a2b…` or `cli:…`: say what that was. */
export function whoOf(actor: string): string {
  const legacy = /^(websocket|ipc|cli):(\w{0,4})/.exec(actor);
  if (!legacy) return actor;
  return legacy[1] === 'cli' ? 'command line' : `station window ${legacy[2]}`;
}
