// `enroller audit verify|export`: prove the audit trail is whole, and take a copy (with its head,
// to check a later verify against: `--expect-head SEQ:HASH` catches a truncated or rewritten tail).
import fs from 'node:fs';
import { Command } from 'commander';
import { EnrollerError } from '../../../shared/errors';
import { verifyAuditChain } from '../../store/audit-log';
import { withStation } from '../with-station';
import { invocation } from '../invocation';

function parseHead(value: string): { seq: number; hash: string } {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(value);
  if (!match)
    throw new EnrollerError('CONTRACT_INVALID_REQUEST', 'A head is SEQ:HASH, as `enroller audit export` prints it.');
  return { seq: Number(match[1]), hash: match[2]! };
}

export function auditCommand(): Command {
  const audit = new Command('audit').description('the hash-chained audit trail');

  audit
    .command('verify')
    .description(
      'check every row against the chain; names the first edited, deleted, inserted, reordered or truncated row',
    )
    .option(
      '--expect-head <seq:hash>',
      'a head recorded earlier (from `audit export`) the chain must still reach',
      parseHead,
    )
    .action(async (options: { expectHead?: { seq: number; hash: string } }, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        const verdict = verifyAuditChain(station.db, options.expectHead);
        if (verdict.ok) {
          out.record(
            { status: 'ok', rows: verdict.rows, head: `${verdict.head.seq}:${verdict.head.hash}` },
            `Audit trail whole: ${verdict.rows} rows, head ${verdict.head.seq}:${verdict.head.hash}`,
          );
        } else {
          out.record(
            {
              status: 'broken',
              code: 'AUDIT_CHAIN_BROKEN',
              rows: verdict.rows,
              seq: verdict.seq,
              problem: verdict.problem,
              message: verdict.message,
            },
            `✘ AUDIT_CHAIN_BROKEN at row ${verdict.seq} (${verdict.problem}): ${verdict.message}`,
          );
          invocation().setExitCode(1);
        }
      });
    });

  audit
    .command('export')
    .description('write the trail as JSON lines (one row each) and print its head')
    .option('--out <file>', 'file to write (default: stdout)')
    .action(async (options: { out?: string }, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        const verdict = verifyAuditChain(station.db);
        const lines = station.audit
          .entries()
          .map((e) => JSON.stringify({ ...e, details: JSON.parse(e.details) as unknown }));
        if (options.out) fs.writeFileSync(options.out, lines.join('\n') + (lines.length ? '\n' : ''), { mode: 0o600 });
        else for (const line of lines) invocation().stdout.write(`${line}\n`);
        const head = verdict.ok ? `${verdict.head.seq}:${verdict.head.hash}` : undefined;
        if (options.out)
          out.record(
            { status: verdict.ok ? 'exported' : 'broken', rows: lines.length, head, file: options.out },
            `${lines.length} rows written to ${options.out}; head ${head ?? '(chain broken)'}`,
          );
        if (!verdict.ok) invocation().setExitCode(1);
      });
    });
  return audit;
}
