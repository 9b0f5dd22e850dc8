#!/usr/bin/env node
/**
 * The `stagetrace` executable (package.json `bin`). Each command lives in
 * its own module exporting `<name>Command(argv): Promise<number>`; this file
 * only dispatches on the first argument.
 */
import { VERSION } from '../model/version.js';
import { replayCommand } from './replay-command.js';

const COMMANDS: Readonly<Record<string, (argv: string[]) => Promise<number>>> = {
  replay: replayCommand,
};

const HELP = `Usage: stagetrace <command> [options]

Commands:
  replay <logDir>   send the months and stages the collector never got, from the audit files

Options:
  -h, --help        help; \`stagetrace <command> --help\` for a command's options
  -v, --version     the version
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (run === undefined) {
    process.stderr.write(
      `stagetrace: unknown command ${JSON.stringify(command)}; expected one of: ${Object.keys(COMMANDS).join(', ')}. See stagetrace --help.\n`,
    );
    return 2;
  }
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`stagetrace: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 70;
  },
);
