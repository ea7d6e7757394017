// `enroller operator add|list`: the people at the station. The first one must be a supervisor;
// from then on every command asks for a PIN (`--pin-file`).
import { Command, Option } from 'commander';
import { EnrollerError } from '../../../shared/errors';
import { withStation } from '../with-station';
import { readSecret } from '../secrets';

export function operatorCommand(): Command {
  const operator = new Command('operator').description('operators, supervisors and auditors, each with a PIN');

  operator
    .command('add')
    .description('register a person (or change their role or PIN)')
    .argument('<name>')
    .addOption(
      new Option('--role <role>', 'what they may do')
        .choices(['operator', 'supervisor', 'auditor'])
        .makeOptionMandatory(),
    )
    .option('--new-pin-file <file>', "the person's PIN, 4 to 12 digits (a file; never on the command line)")
    .action(
      async (
        name: string,
        options: { role: 'operator' | 'supervisor' | 'auditor'; newPinFile?: string },
        command: Command,
      ) => {
        await withStation(command, 'configure', async (station, { out }) => {
          const pin = await readSecret(options.newPinFile, `PIN for ${name}`);
          if (!/^\d{4,12}$/.test(pin)) throw new EnrollerError('CONTRACT_INVALID_REQUEST', 'A PIN is 4 to 12 digits.');
          const saved = station.access.addOperator(name, options.role, pin, 'cli');
          out.record({ status: 'saved', ...saved }, `${saved.name} is a ${saved.role}.`);
        });
      },
    );

  operator
    .command('list')
    .description('the people registered here (never their PINs)')
    .action(async (_options: unknown, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        for (const o of station.access.operators()) out.record(o, `${o.name.padEnd(24)} ${o.role}`);
      });
    });
  return operator;
}
