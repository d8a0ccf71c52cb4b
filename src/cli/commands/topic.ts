import type { Command } from 'commander';
import type { TopicDescription } from '../../client/index.ts';
import { addBrokerOption, type BrokerOptions, collectKeyValue, collectList, intArg, withClient } from '../client-options.ts';
import { UsageError } from '../exit.ts';
import { formatFields, formatJson, formatTable, print } from '../output.ts';

interface JsonOption {
  json?: boolean;
}

/** `ferry topic create|list|describe|delete|alter`. */
export function registerTopicCommands(program: Command): void {
  const topic = program.command('topic').description('create, list, describe, alter and delete topics');

  addBrokerOption(
    topic
      .command('create')
      .description('create a topic')
      .argument('<name>', 'topic name')
      .option('--partitions <n>', "number of partitions (default: the broker's defaultPartitions)", intArg(1))
      .option('--replication-factor <n>', 'replicas per partition (1 on a single node)', intArg(1))
      .option('--config <key=value...>', 'topic config entry, e.g. retention.ms=86400000 (repeatable)', collectKeyValue)
      .option('--json', 'print the created topic as JSON'),
  ).action(
    async (
      name: string,
      options: BrokerOptions & JsonOption & { partitions?: number; replicationFactor?: number; config?: Record<string, string> },
    ) => {
      const created = await withClient(options, (client) =>
        client
          .admin()
          .createTopic({ name, partitions: options.partitions, replicationFactor: options.replicationFactor, config: options.config }),
      );
      print(options.json ? formatJson(created) : `created topic ${created.name} with ${created.partitions.length} partition(s)`);
    },
  );

  addBrokerOption(
    topic
      .command('list')
      .description('list topics')
      .option('--internal', 'include internal topics (__consumer_offsets)')
      .option('--json', 'print JSON'),
  ).action(async (options: BrokerOptions & JsonOption & { internal?: boolean }) => {
    const topics = await withClient(options, (client) => client.admin().listTopics({ includeInternal: options.internal ?? false }));
    topics.sort((a, b) => a.name.localeCompare(b.name));
    if (options.json) print(formatJson(topics));
    else
      print(
        formatTable(
          ['TOPIC', 'PARTITIONS', 'INTERNAL'],
          topics.map((t) => [t.name, t.partitionCount, t.isInternal ? 'yes' : 'no']),
        ),
      );
  });

  addBrokerOption(
    topic
      .command('describe')
      .description('show partitions, offsets, sizes and config of a topic')
      .argument('<name>', 'topic name')
      .option('--json', 'print JSON'),
  ).action(async (name: string, options: BrokerOptions & JsonOption) => {
    const description = await withClient(options, (client) => client.admin().describeTopic(name));
    print(options.json ? formatJson(description) : formatTopic(description));
  });

  addBrokerOption(topic.command('delete').description('delete a topic and all its records').argument('<name>', 'topic name')).action(
    async (name: string, options: BrokerOptions) => {
      await withClient(options, (client) => client.admin().deleteTopic(name));
      print(`deleted topic ${name}`);
    },
  );

  addBrokerOption(
    topic
      .command('alter')
      .description("change a topic's config or grow its partitions")
      .argument('<name>', 'topic name')
      .option('--config <key=value...>', 'set a config entry (repeatable)', collectKeyValue)
      .option('--delete-config <key...>', 'remove a config override, back to the broker default (repeatable)', collectList)
      .option('--partitions <n>', 'grow the topic to this many partitions (never shrinks)', intArg(1))
      .option('--json', 'print the altered topic as JSON'),
  ).action(
    async (
      name: string,
      options: BrokerOptions & JsonOption & { config?: Record<string, string>; deleteConfig?: string[]; partitions?: number },
    ) => {
      if (options.config === undefined && options.deleteConfig === undefined && options.partitions === undefined) {
        throw new UsageError('topic alter needs --config, --delete-config or --partitions');
      }
      const altered = await withClient(options, async (client) => {
        const admin = client.admin();
        let result: TopicDescription | null = null;
        if (options.partitions !== undefined) result = await admin.createPartitions(name, options.partitions);
        if (options.config !== undefined || options.deleteConfig !== undefined) {
          result = await admin.alterTopicConfig(name, options.config ?? {}, options.deleteConfig ?? []);
        }
        return result!;
      });
      print(options.json ? formatJson(altered) : `altered topic ${altered.name}: ${altered.partitions.length} partition(s)`);
    },
  );
}

function formatTopic(topic: TopicDescription): string {
  const overrides = Object.entries(topic.overrides).sort(([a], [b]) => a.localeCompare(b));
  const header = formatFields([
    ['topic', topic.name],
    ['id', topic.topicId],
    ['internal', topic.isInternal ? 'yes' : 'no'],
    ['partitions', topic.partitions.length],
    ['config', overrides.length === 0 ? '(broker defaults)' : overrides.map(([k, v]) => `${k}=${v}`).join(', ')],
  ]);
  const partitions = formatTable(
    ['PARTITION', 'LEADER', 'EPOCH', 'START', 'END', 'HIGH-WATERMARK', 'BYTES', 'STATUS'],
    topic.partitions.map((p) => [
      p.partition,
      p.leader,
      p.leaderEpoch,
      p.logStartOffset,
      p.logEndOffset,
      p.highWatermark,
      p.sizeBytes,
      p.isOffline ? 'offline' : 'online',
    ]),
  );
  return `${header}\n\n${partitions}`;
}
