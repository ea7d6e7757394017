// What the authority needs from durable storage, and nothing more. The store layer implements
// it on SQLite; the authority only ever reserves, completes and revokes.

export type CertificateKind = 'birth' | 'operational' | 'verification' | 'ocsp-signing';

export interface Reservation {
  readonly serial: string;
  readonly issuerFingerprint: string;
  readonly deviceId: string;
  readonly csrSha256: string;
  readonly keyFingerprint: string;
  readonly kind: CertificateKind;
}

/** A certificate signed for a caller that puts it on the ledger itself (a bulk run's fast lane). */
export interface SignedCertificate {
  readonly der: Uint8Array;
  readonly serial: string;
  readonly issuerFingerprint: string;
  /** The issuer's name as a job row shows it. */
  readonly issuer: string;
  readonly kind: CertificateKind;
  readonly csrSha256: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface IssuanceRecord extends Reservation {
  readonly status: 'reserved' | 'issued' | 'revoked';
  readonly der: Uint8Array | undefined;
}

export interface RevokedEntry {
  readonly serial: string;
  readonly revokedAt: Date;
  readonly reason: number;
}

export interface IssuanceLedger {
  /** The certificate (or reservation) this issuer already made for this CSR, if any. */
  findByCsr(issuerFingerprint: string, csrSha256: string): IssuanceRecord | undefined;
  /**
   * Durably reserves a serial for a CSR, with an audit row, in one transaction. Returns false
   * when the serial is taken (draw again). Throws CSR_DUPLICATE_KEY when the key already belongs
   * to another device.
   */
  reserve(reservation: Reservation): boolean;
  /** Stores the signed certificate against its reservation, with an audit row. */
  complete(serial: string, der: Uint8Array, notBefore: Date, notAfter: Date): void;
  revoke(serial: string, reason: number, at: Date): void;
  revokedBy(issuerFingerprint: string): RevokedEntry[];
  /** The next CRL number for this issuer: persisted, strictly increasing. */
  nextCrlNumber(issuerFingerprint: string): number;
}
