// The RFC 5280 reason option of `revoke` and `device disable`. A reason outside the chosen five is
// REVOKE_REASON_INVALID with a sentence (and a JSON line under --json), not only commander's usage text.
import { Option } from 'commander';
import { EnrollerError } from '../../shared/errors';
import { CHOSEN_REASONS, type ChosenReason } from '../../shared/revocation';

export function reasonOption(flags: string, description: string): Option {
  return new Option(flags, `${description}: ${CHOSEN_REASONS.join(' | ')}`).argParser(parseReason);
}

function parseReason(value: string): ChosenReason {
  if ((CHOSEN_REASONS as readonly string[]).includes(value)) return value as ChosenReason;
  throw new EnrollerError(
    'REVOKE_REASON_INVALID',
    `${value} is not a revocation reason the station sets; choose one of ${CHOSEN_REASONS.join(', ')} (RFC 5280).`,
    { reason: value, allowed: [...CHOSEN_REASONS] },
  );
}
