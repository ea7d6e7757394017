// The line engineer's interface and the test harness's: `enroller [--data-dir DIR] <command>`.
// Names, flags and JSON fields are a contract (DESIGN.md); extend, never rename.
import 'reflect-metadata';
import { Command, Option } from 'commander';
import { approvalsCommand } from './cli/commands/approvals';
import { auditCommand } from './cli/commands/audit';
import { bundleCommand } from './cli/commands/bundle';
import { caCommand } from './cli/commands/ca';
import { deviceTypeCommand } from './cli/commands/device-type';
import { enrollCommand } from './cli/commands/enroll';
import { exportCommand } from './cli/commands/export';
import { operatorCommand } from './cli/commands/operator';
import { queueCommand } from './cli/commands/queue';
import { profileCommand } from './cli/commands/profile';
import { provisionCommand } from './cli/commands/provision';
import { infoCommand, serveCommand, simCommand } from './cli/commands/station';
import { appVersion } from './cli/context';
import { createOutput, describeError } from './cli/output';

const program = new Command()
  .name('enroller')
  .description('Floor Enroller: enroll devices with device-born keys and verified certificates.')
  .version(appVersion)
  .option('--data-dir <dir>', 'station data folder (default: $ENROLLER_DATA_DIR, else the OS app-data folder)')
  .option('--json', 'one JSON object per line on stdout', false)
  .option('--pin-file <file>', 'your PIN, once the station has a supervisor (never on the command line)')
  .addOption(
    new Option('--log-level <level>', 'log level on stderr')
      .choices(['silent', 'error', 'warn', 'info', 'debug'])
      .default('warn'),
  )
  .showHelpAfterError()
  .addCommand(infoCommand())
  .addCommand(caCommand())
  .addCommand(deviceTypeCommand())
  .addCommand(profileCommand())
  .addCommand(provisionCommand())
  .addCommand(enrollCommand())
  .addCommand(queueCommand())
  .addCommand(auditCommand())
  .addCommand(operatorCommand())
  .addCommand(exportCommand())
  .addCommand(approvalsCommand())
  .addCommand(bundleCommand())
  .addCommand(serveCommand())
  .addCommand(simCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  const { code, message, details } = describeError(error);
  createOutput(process.argv.includes('--json')).fail(code, message, details);
  process.exitCode = 1;
});
