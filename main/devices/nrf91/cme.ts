// +CME ERROR codes of the nRF91 (nrf91-at.md §1.3, from Nordic's AT Commands Reference Guide:
// https://docs.nordicsemi.com/bundle/ref_at_commands/page/REF/at_commands/intro/cme_error.html)
// mapped to stable station codes and to sentences a technician can act on.
import { EnrollerError, type ErrorCode } from '../../../shared/errors';

interface CmeMeaning {
  readonly code: ErrorCode;
  readonly sentence: string;
}

const meanings: Readonly<Record<number, CmeMeaning>> = {
  0: {
    code: 'MODEM_UNSUPPORTED',
    sentence:
      'The modem rejected the command: its firmware may be too old for it (credential commands need modem firmware ' +
      '1.3.0 or newer).',
  },
  23: {
    code: 'MODEM_MEMORY_FAILURE',
    sentence: 'The modem reported a memory failure. Retry once; if it repeats, set the unit aside.',
  },
  50: {
    code: 'MODEM_BAD_PARAMETERS',
    sentence: 'The modem said the command had incorrect parameters. This is a station bug; please report it.',
  },
  60: {
    code: 'MODEM_SYSTEM_ERROR',
    sentence: 'The modem reported a system error. Retry once; if it repeats, set the unit aside.',
  },
  513: { code: 'MODEM_CREDENTIAL_NOT_FOUND', sentence: 'The modem has no credential at that security tag and type.' },
  514: {
    code: 'MODEM_NO_ACCESS',
    sentence: 'The modem does not allow this: the security tag or credential type is reserved or unreadable.',
  },
  515: {
    code: 'MODEM_MEMORY_FULL',
    sentence: "The modem's credential storage is full. Delete unused security tags and retry.",
  },
  516: { code: 'MODEM_RADIO_ACTIVE', sentence: 'The modem has an active radio connection. Take it offline and retry.' },
  517: { code: 'MODEM_NOT_ACTIVATED', sentence: 'The modem is not activated.' },
  518: {
    code: 'MODEM_ONLINE',
    sentence: 'The modem is online — it must be offline (AT+CFUN=4) to write credentials or generate keys.',
  },
  519: {
    code: 'MODEM_ALREADY_EXISTS',
    sentence: 'A credential already exists at that security tag and type; it must be deleted first.',
  },
  523: {
    code: 'MODEM_KEYGEN_FAILED',
    sentence: 'The modem failed to generate a key. Retry once; if it fails again, set the unit aside.',
  },
  527: {
    code: 'MODEM_INVALID_CONTENT',
    sentence: 'The modem rejected the certificate content as invalid (it wants PEM with LF line endings).',
  },
  528: {
    code: 'MODEM_POWER_WARNING',
    sentence: 'The modem refused while a power-off warning is active. Check the supply voltage and retry.',
  },
};

export function describeCme(cme: number): CmeMeaning {
  return (
    meanings[cme] ?? {
      code: 'MODEM_CME_OTHER',
      sentence: `The modem answered with error code ${cme}, which the station does not know.`,
    }
  );
}

export function cmeError(cme: number, command: string): EnrollerError {
  const { code, sentence } = describeCme(cme);
  return new EnrollerError(code, sentence, { cme, command });
}

export function bareError(command: string): EnrollerError {
  return new EnrollerError(
    'MODEM_ERROR',
    'The modem answered ERROR without a reason (the command is unknown to this firmware, or malformed).',
    {
      command,
    },
  );
}
