// The transport-agnostic heart of every binder: parse the request with its schema, call the
// service, check the response, and turn any failure into error data with a stable code.
import { EnrollerError, type ErrorData } from '../../shared/errors';
import { fieldIssues } from '../../shared/field-issues';
import { isMethodName, methods, type Access } from '../../shared/contract';
import type { Result } from '../../shared/wire';
import type { Logger } from '../log';
import type { Caller, ContractService } from './service';

export type Dispatch = (method: string, request: unknown, caller: Caller) => Promise<Result>;

/** Decides, before any handler runs, whether this caller may call a method of this access. */
export interface Guard {
  authorize(access: Access, caller: Caller, method: string): void;
}

export function createDispatch(service: ContractService, log: Logger, guard?: Guard): Dispatch {
  return async (method, request, caller) => {
    if (!isMethodName(method)) {
      return failure({
        code: 'CONTRACT_UNKNOWN_METHOD',
        message: `The station has no method "${method.slice(0, 64)}".`,
      });
    }
    const spec = methods[method];
    // Roles first: a caller who may not call a method learns nothing more about it.
    try {
      guard?.authorize(spec.access, caller, method);
    } catch (error) {
      if (error instanceof EnrollerError) return failure(error.toData());
      throw error;
    }
    const parsed = spec.request.safeParse(request ?? {});
    if (!parsed.success) {
      // Field by field, in the schema's own words: the UI shows each at its field.
      const issues = fieldIssues(parsed.error);
      const said = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
      return failure({ code: 'CONTRACT_INVALID_REQUEST', message: `Not accepted — ${said}.`, details: { issues } });
    }
    try {
      const handler = service[method] as (req: unknown, caller: Caller) => unknown;
      const value = await handler(parsed.data, caller);
      const checked = spec.response.safeParse(value);
      if (!checked.success) {
        log.error({ method, issues: checked.error.issues }, 'response does not match the contract');
        return failure({
          code: 'CONTRACT_INVALID_RESPONSE',
          message: `The station produced an invalid answer to ${method}.`,
        });
      }
      return { ok: true, value: checked.data };
    } catch (error) {
      if (error instanceof EnrollerError) return failure(error.toData());
      // The cause stays in the log; the caller only learns that something unexpected happened.
      log.error({ method, err: error }, 'unexpected error in handler');
      return failure({ code: 'INTERNAL', message: `The station failed unexpectedly while handling ${method}.` });
    }
  };
}

function failure(error: ErrorData): Result {
  return { ok: false, error };
}
