import type { Command } from 'commander';
import { addBrokerOption, type BrokerOptions, intArg, withClient } from '../client-options.ts';
import { formatJson, print } from '../output.ts';

interface ReplayOptions extends BrokerOptions {
  max?: number;
  json?: boolean;
}

/** `ferry dlq replay`: dead letters of a subscription back to where they came from. */
export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description("work with a subscription's dead-letter topic");

  addBrokerOption(
    dlq
      .command('replay')
      .description(
        'move dead letters back to their original topic and partition (as new records: every subscription of the topic sees them)',
      )
      .argument('<topic>', 'topic of the subscription')
      .argument('<subscription>', 'subscription whose dead letters to replay')
      .option('--max <n>', 'replay at most this many (default: all)', intArg(1))
      .option('--json', 'print JSON'),
  ).action(async (topic: string, name: string, options: ReplayOptions) => {
    const result = await withClient(options, (client) =>
      client.admin().replayDeadLetters(topic, name, options.max === undefined ? {} : { maxRecords: options.max }),
    );
    print(options.json ? formatJson(result) : `replayed ${result.replayed} record(s) from ${result.deadLetterTopic} to ${topic}`);
  });
}
