import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { describeError, ExitCode } from './exit.ts';
import { buildProgram } from './program.ts';

/**
 * `ferry` entry point. Every command's action either finishes (we then exit with its code once
 * stdout is flushed) or, for `ferry start`, leaves a server running that exits on a signal.
 */
const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

function packageVersion(): string {
  const packageJson: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return (packageJson as { version?: string }).version ?? '0.0.0';
}

async function run(argv: readonly string[]): Promise<number | 'running'> {
  const program = buildProgram(packageVersion());
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError && COMMANDER_OK.has(error.code)) {
      // `ferry` or `ferry topic` alone print help and exit 2: they did nothing.
      return error.code === 'commander.help' && error.exitCode !== 0 ? ExitCode.usage : ExitCode.ok;
    }
    const report = describeError(error);
    const hint = error instanceof CommanderError ? helpHint(argv, error.code === 'commander.unknownCommand') : '';
    process.stderr.write(`${report.line}${hint}\n`);
    return report.exitCode;
  }
  return argv[2] === 'start' ? 'running' : ExitCode.ok;
}

/** ` (see 'ferry topic create --help')` for usage errors. */
function helpHint(argv: readonly string[], isUnknownCommand: boolean): string {
  const words = argv.slice(2).filter((word) => !word.startsWith('-'));
  const depth = ['topic', 'group', 'bench'].includes(words[0] ?? '') ? 2 : 1;
  const commandWords = words.slice(0, isUnknownCommand ? depth - 1 : depth);
  return ` (see 'ferry ${[...commandWords, '--help'].join(' ')}')`;
}

const outcome = await run(process.argv);
if (outcome !== 'running') {
  // Exit only once stdout has taken everything (a pipe may lag behind); open client sockets or
  // timers must not keep a finished command alive.
  process.stdout.write('', () => process.exit(outcome));
}
