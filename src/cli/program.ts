import { Command } from 'commander';
import { registerAlertsCommands } from './commands/alerts.ts';
import { registerBenchCommands } from './commands/bench.ts';
import { registerConsumeCommand } from './commands/consume.ts';
import { registerDlqCommands } from './commands/dlq.ts';
import { registerGroupCommands } from './commands/group.ts';
import { registerProduceCommand } from './commands/produce.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerSubCommands } from './commands/sub.ts';
import { registerTopicCommands } from './commands/topic.ts';

/**
 * The `ferry` command tree. Errors are not printed by commander: `run` turns every failure into
 * one `error: <code>: <message>` line (see exit.ts), so scripts see one format.
 */
export function buildProgram(version: string): Command {
  const program = new Command('ferry')
    .description('Ferry: a durable, partitioned message broker for Node.js')
    .version(version, '-V, --version')
    .showSuggestionAfterError(true)
    // Inherited by every subcommand added below.
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  registerStartCommand(program);
  registerTopicCommands(program);
  registerProduceCommand(program);
  registerConsumeCommand(program);
  registerGroupCommands(program);
  registerSubCommands(program);
  registerDlqCommands(program);
  registerAlertsCommands(program);
  registerBenchCommands(program);
  return program;
}
