// Errors cross every boundary (IPC, WebSocket, CLI JSON) as data with a stable code.
// Callers branch on `code`, never on the message: messages are for people and may be reworded.

/** Every code the station can report. Append only: line automation matches on these strings. */
export const errorCodes = [
  // contract
  'CONTRACT_INVALID_REQUEST',
  'CONTRACT_INVALID_RESPONSE',
  'CONTRACT_UNKNOWN_METHOD',
  'CONTRACT_VERSION_MISMATCH',
  'STATION_UNREACHABLE',
  'STATION_TIMEOUT',
  // station
  'STATION_NOT_READY',
  'STORE_UNSAFE_PRAGMA',
  'STORE_MIGRATION_FAILED',
  'STORE_NEWER_SCHEMA',
  'STORE_WRITE_FAILED',
  // devices: ports and transports
  'DEVICE_PORT_BUSY',
  'DEVICE_PORT_OPEN_FAILED',
  'DEVICE_DISCONNECTED',
  'DEVICE_TIMEOUT',
  'DEVICE_ABORTED',
  'DEVICE_RESET',
  'DEVICE_NOT_RESPONDING',
  'DEVICE_LINE_TOO_LONG',
  'DEVICE_COMMAND_TOO_LONG',
  'DEVICE_GARBAGE',
  // devices: the nRF91 modem's own answers (+CME ERROR and friends)
  'MODEM_ERROR',
  'MODEM_UNSUPPORTED',
  'MODEM_MEMORY_FAILURE',
  'MODEM_BAD_PARAMETERS',
  'MODEM_SYSTEM_ERROR',
  'MODEM_CREDENTIAL_NOT_FOUND',
  'MODEM_NO_ACCESS',
  'MODEM_MEMORY_FULL',
  'MODEM_RADIO_ACTIVE',
  'MODEM_NOT_ACTIVATED',
  'MODEM_ONLINE',
  'MODEM_ALREADY_EXISTS',
  'MODEM_KEYGEN_FAILED',
  'MODEM_INVALID_CONTENT',
  'MODEM_POWER_WARNING',
  'MODEM_CME_OTHER',
  'MODEM_FIRMWARE_TOO_OLD',
  'MODEM_CSR_INVALID',
  'MODEM_EVIDENCE_MISMATCH',
  'MODEM_CONTENT_NOT_WRITABLE',
  'MODEM_READBACK_MISMATCH',
  // preflight: the chain a device would receive breaks its cloud's rules (#21)
  'PREFLIGHT_FAILED',
  'PREFLIGHT_INPUT_INVALID',
  // a CSR that lacks what the EST server's CSR attributes ask for (#21)
  'CSR_ATTRIBUTES_UNMET',
  // a modem whose firmware the device type does not take (#21)
  'MODEM_FIRMWARE_NOT_ALLOWED',
  // backups, restore and the database's own health (#22)
  'BACKUP_INVALID',
  'BACKUP_WRONG_PASSPHRASE',
  'BACKUP_NO_FOLDER',
  'BACKUP_SCHEDULE_INVALID',
  'RESTORE_WOULD_FORGET',
  'STORE_IN_USE',
  'STORE_CORRUPT',
  'STORE_NOT_A_DATABASE',
  'DISK_FULL',
  'DISK_READ_ONLY',
  'MODEM_BUFFER_TOO_SMALL',
  // devices: a TPM 2.0 through tpm2-tools
  'TPM_TCTI_INVALID',
  'TPM_TOOLS_MISSING',
  'TPM_UNREACHABLE',
  'TPM_TIMEOUT',
  'TPM_COMMAND_FAILED',
  'TPM_KEY_MISMATCH',
  'TPM_NV_TOO_LARGE',
  'TPM_READBACK_MISMATCH',
  'TPM_EK_UNTRUSTED',
  // pki: CSR intake (every hostile CSR ends in one of these)
  'CSR_TOO_LARGE',
  'CSR_MALFORMED',
  'CSR_BAD_SIGNATURE',
  'CSR_SIGNATURE_ALGORITHM_UNSUPPORTED',
  'CSR_KEY_TYPE_NOT_ALLOWED',
  'CSR_KEY_TOO_SMALL',
  'CSR_KEY_TOO_LARGE',
  'CSR_KEY_BAD_EXPONENT',
  'CSR_KEY_CURVE_NOT_ALLOWED',
  'CSR_KEY_EXPLICIT_CURVE',
  'CSR_REQUESTS_CA',
  'CSR_EXTRA_EKU',
  'CSR_EXTRA_SAN',
  'CSR_UNKNOWN_CRITICAL_EXTENSION',
  'CSR_SUBJECT_INVALID',
  'CSR_DUPLICATE_KEY',
  // pki: device types and the local authority
  'DEVICE_TYPE_INVALID',
  'DEVICE_TYPE_NOT_FOUND',
  'DEVICE_TYPE_FIELD_MISSING',
  'CA_NOT_INITIALIZED',
  'CA_ALREADY_INITIALIZED',
  'CA_LOCKED',
  'CA_WRONG_PASSPHRASE',
  'CA_PASSPHRASE_REQUIRED',
  'CA_IMPORT_INVALID',
  'CA_SERIAL_EXHAUSTED',
  'CA_CERTIFICATE_NOT_FOUND',
  // after the factory: device modes and revocation (#19)
  'DEVICE_NOT_FOUND',
  'DEVICE_DISABLED',
  'REVOKE_SERIAL_UNKNOWN',
  'REVOKE_ALREADY_REVOKED',
  'REVOKE_NOT_STATION_ISSUED',
  'REVOKE_REASON_INVALID',
  'OCSP_PORT_IN_USE',
  // the CA key in a PKCS#11 token (#20)
  'CA_TOKEN_URI_INVALID',
  'CA_TOKEN_UNAVAILABLE',
  'CA_PIN_WRONG',
  'CA_TOKEN_KEY_MISSING',
  'CA_TOKEN_FULL',
  // the OS keychain that may remember the station passphrase (desktop app)
  'KEYCHAIN_UNAVAILABLE',
  'KEYCHAIN_NOT_REMEMBERED',
  'KEYCHAIN_UNREADABLE',
  // enroll: talking to the provisioning service (EST, SCEP)
  'ENROLL_UNREACHABLE',
  'ENROLL_TIMEOUT',
  'ENROLL_ABORTED',
  'ENROLL_TLS_UNTRUSTED',
  'ENROLL_TLS_HOSTNAME',
  'ENROLL_TLS_EXPIRED',
  'ENROLL_TLS_VERSION',
  'ENROLL_TLS_FINGERPRINT',
  'ENROLL_INSECURE_AUTH',
  'ENROLL_UNAUTHORIZED',
  'ENROLL_REJECTED',
  'ENROLL_SERVER_ERROR',
  'ENROLL_BAD_RESPONSE',
  'ENROLL_WRONG_KEY',
  'ENROLL_UNTRUSTED_ISSUER',
  'ENROLL_NOT_SUPPORTED',
  'SCEP_FAILURE',
  'SCEP_NONCE_MISMATCH',
  'SCEP_TRANSACTION_MISMATCH',
  'SCEP_SIGNATURE_INVALID',
  'CMP_FAILURE',
  'CMP_PROTECTION_INVALID',
  'CMP_TRANSACTION_MISMATCH',
  'CMP_NONCE_MISMATCH',
  // station: the device pipeline
  'DEVICE_ALREADY_ENROLLED',
  'DEVICE_RECOGNISED',
  'PROFILE_NOT_FOUND',
  'ENROLL_PENDING',
  'ENROLL_QUEUED',
  'PROFILE_INVALID',
  'PROFILE_EXISTS',
  'SECRET_WRONG_PASSPHRASE',
  'BATCH_NOT_RUNNING',
  'BATCH_ALREADY_RUNNING',
  'DEVICE_DEADLINE',
  'DEVICE_CANCELLED',
  'DEVICE_IDENTITY_CHANGED',
  'DEVICE_IDENTITY_MISMATCH',
  'AUDIT_CHAIN_BROKEN',
  'AUTH_REQUIRED',
  'APPROVAL_INVALID',
  'BUNDLE_INVALID',
  'BUNDLE_EXPIRED',
  'BUNDLE_CREDENTIALS_EXHAUSTED',
  'BUNDLE_CREDENTIAL_USED',
  'APPROVAL_EXPIRED',
  'AUTH_FORBIDDEN',
  'AUTH_WRONG_PIN',
  'AUTH_LOCKED',
  'LABEL_TEMPLATE_INVALID',
  'LABEL_PRINTER_UNREACHABLE',
  'LABEL_PRINT_FAILED',
  // issue 14: works the first time
  'UI_NOT_BUILT',
  'SCEP_CHALLENGE_MISSING',
  'DEVICE_ID_CONFLICT',
  // issue 18: fast from the first keystroke
  'ATTACH_REFUSED',
  // many stations, one ledger (#23)
  'FLEET_NOT_JOINED',
  'FLEET_URL_INVALID',
  'FLEET_TLS_REQUIRED',
  'FLEET_TLS_UNTRUSTED',
  'FLEET_UNREACHABLE',
  'FLEET_AUTH_FAILED',
  'FLEET_STATION_UNKNOWN',
  'FLEET_STATION_MISMATCH',
  'FLEET_DEVICE_CLAIMED',
  'FLEET_REFUSED',
  'FLEET_AUDIT_REWRITTEN',
  'FLEET_PASSPHRASE_WRONG',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** An error as it crosses the contract (its schema: ErrorData in shared/error-data.ts). */
export interface ErrorData {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown> | undefined;
}

/** The one error type main throws on purpose. Anything else is reported as INTERNAL. */
export class EnrollerError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnrollerError';
    this.code = code;
    this.details = details;
  }

  toData(): ErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isEnrollerError(error: unknown): error is EnrollerError {
  return error instanceof EnrollerError;
}
