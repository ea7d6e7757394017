// RFC 5280 §5.3.1 CRLReason: the codes a CRL and an OCSP response carry, and their names.
// A person revoking chooses among the five a device factory uses; the others are read, never set here.
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type RevocationReasonName = keyof typeof REVOCATION_REASONS;

/** What `revoke --reason` and `device disable --revoke-reason` accept. */
export const CHOSEN_REASONS = [
  'keyCompromise',
  'superseded',
  'cessationOfOperation',
  'affiliationChanged',
  'unspecified',
] as const satisfies readonly RevocationReasonName[];
export type ChosenReason = (typeof CHOSEN_REASONS)[number];

export function reasonName(code: number): RevocationReasonName | undefined {
  return (Object.entries(REVOCATION_REASONS) as Array<[RevocationReasonName, number]>).find(([, c]) => c === code)?.[0];
}
