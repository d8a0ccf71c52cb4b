import { type Command, Option } from 'commander';
import type { SubscriptionDescription, SubscriptionMode } from '../../client/index.ts';
import { addBrokerOption, type BrokerOptions, intArg, withClient } from '../client-options.ts';
import { parseDurationMs } from '../duration.ts';
import { formatFields, formatJson, formatTable, print } from '../output.ts';

interface JsonOption {
  json?: boolean;
}

interface CreateOptions extends BrokerOptions, JsonOption {
  mode: SubscriptionMode;
  startAt?: 'earliest' | 'latest';
  ackTimeout?: number;
  maxDeliveries?: number;
  deadLetterTopic?: string;
}

const MODES: readonly SubscriptionMode[] = ['shared', 'key_shared', 'exclusive', 'failover'];

/** `ferry sub list|describe|create|delete`: queue subscriptions (docs/queues.md). */
export function registerSubCommands(program: Command): void {
  const sub = program.command('sub').description('list, describe, create and delete queue subscriptions');

  addBrokerOption(
    sub
      .command('list')
      .description('list subscriptions of a topic, or of every topic')
      .argument('[topic]', 'topic')
      .option('--json', 'print JSON'),
  ).action(async (topic: string | undefined, options: BrokerOptions & JsonOption) => {
    const subscriptions = await withClient(options, async (client) => {
      if (topic !== undefined) await client.admin().describeTopic(topic); // a missing topic is an error, not an empty list
      return client.admin().listSubscriptions(topic);
    });
    subscriptions.sort((a, b) => a.topic.localeCompare(b.topic) || a.name.localeCompare(b.name));
    if (options.json) print(formatJson(subscriptions));
    else
      print(
        formatTable(
          ['TOPIC', 'SUBSCRIPTION', 'MODE', 'CONSUMERS'],
          subscriptions.map((s) => [s.topic, s.name, s.mode, s.consumerCount]),
        ),
      );
  });

  addBrokerOption(
    sub
      .command('describe')
      .description('show backlog, in flight, redeliveries, oldest unacked age, consumers and per-partition ack floors')
      .argument('<topic>', 'topic')
      .argument('<subscription>', 'subscription name')
      .option('--json', 'print JSON'),
  ).action(async (topic: string, name: string, options: BrokerOptions & JsonOption) => {
    const description = await withClient(options, (client) => client.admin().describeSubscription(topic, name));
    print(options.json ? formatJson(description) : formatSubscription(description));
  });

  addBrokerOption(
    sub
      .command('create')
      .description('create a subscription (an existing one with the same mode is left as it is)')
      .argument('<topic>', 'topic')
      .argument('<subscription>', 'subscription name')
      .addOption(new Option('--mode <mode>', 'how its consumers share records').choices(MODES).default('shared'))
      .addOption(new Option('--start-at <where>', 'first record it gets: earliest (default) or latest').choices(['earliest', 'latest']))
      .option(
        '--ack-timeout <duration>',
        'redeliver a record not acknowledged within this (default: the broker default, 30s)',
        parseDurationMs,
      )
      .option('--max-deliveries <n>', 'deliveries before a record goes to the dead-letter topic; 0: never', intArg(0))
      .option('--dead-letter-topic <topic>', 'default <topic>.<subscription>.dlq')
      .option('--json', 'print JSON'),
  ).action(async (topic: string, name: string, options: CreateOptions) => {
    const description = await withClient(options, (client) =>
      client.admin().createSubscription(topic, name, {
        mode: options.mode,
        ...(options.startAt === undefined ? {} : { startAt: options.startAt }),
        ...(options.ackTimeout === undefined ? {} : { ackTimeoutMs: options.ackTimeout }),
        ...(options.maxDeliveries === undefined ? {} : { maxDeliveries: options.maxDeliveries }),
        ...(options.deadLetterTopic === undefined ? {} : { deadLetterTopic: options.deadLetterTopic }),
      }),
    );
    print(options.json ? formatJson(description) : `subscription ${name} on ${topic} (${description.mode})`);
  });

  addBrokerOption(
    sub
      .command('delete')
      .description('delete a subscription: its consumers are closed and its acknowledgements forgotten')
      .argument('<topic>', 'topic')
      .argument('<subscription>', 'subscription name'),
  ).action(async (topic: string, name: string, options: BrokerOptions) => {
    await withClient(options, (client) => client.admin().deleteSubscription(topic, name));
    print(`deleted subscription ${name} on ${topic}`);
  });
}

function formatSubscription(s: SubscriptionDescription): string {
  const header = formatFields([
    ['topic', s.topic],
    ['subscription', s.name],
    ['mode', s.mode],
    ['backlog', s.backlog],
    ['in flight', s.inFlight],
    ['redeliveries', s.redeliveries],
    ['dead-lettered', s.deadLettered],
    ['oldest unacked age', formatAge(s.oldestUnackedAgeMs, s.backlog)],
    ['ack timeout', `${s.options.ackTimeoutMs} ms`],
    ['max deliveries', s.options.maxDeliveries === 0 ? 'unlimited' : s.options.maxDeliveries],
    ['dead-letter topic', s.options.deadLetterTopic],
  ]);
  const consumers = formatTable(
    ['CONSUMER', 'PREFETCH', 'IN-FLIGHT', 'ACTIVE'],
    s.consumers.map((c) => [c.id, c.prefetch, c.inFlight, c.isActive ? 'yes' : 'standby']),
  );
  const partitions = formatTable(
    ['PARTITION', 'ACK-FLOOR', 'HIGH-WATERMARK', 'BACKLOG', 'IN-FLIGHT', 'AWAITING-REDELIVERY'],
    s.partitions.map((p) => [p.partition, p.ackFloor, p.highWatermark, p.backlog, p.inFlight, p.awaitingRedelivery]),
  );
  return `${header}\n\n${s.consumers.length === 0 ? 'no consumers' : consumers}\n\n${partitions}`;
}

/** `3.2 s`, `5 m 12 s`: an operator reads the age of the oldest waiting record at a glance. */
export function formatAge(ms: number, backlog: number): string {
  if (backlog === 0) return '-';
  if (ms < 1000) return `${Math.max(0, ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.floor(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours} h ${minutes} m` : `${minutes} m ${seconds} s`;
}
