import { once } from 'node:events';
import { type Command, Option } from 'commander';
import type { Consumer, ConsumerMessage, SubscriptionMode } from '../../client/index.ts';
import { ErrorCode, FerryError } from '../../common/errors.ts';
import { addBrokerOption, type BrokerOptions, intArg, withClient } from '../client-options.ts';
import { UsageError } from '../exit.ts';
import { type StopReason, watchForStop } from '../stop-watch.ts';
import { type AckMode, consumeSubscription } from './consume-queue.ts';

interface ConsumeOptions extends BrokerOptions {
  group?: string;
  fromBeginning?: boolean;
  maxMessages?: number;
  timeoutMs?: number;
  printKey?: boolean;
  keySeparator: string;
  subscription?: string;
  mode?: SubscriptionMode;
  ack?: AckMode;
  prefetch?: number;
  startAt?: 'earliest' | 'latest';
}

const MODES: readonly SubscriptionMode[] = ['shared', 'key_shared', 'exclusive', 'failover'];

const NEWLINE = Buffer.from('\n');
const NULL_TEXT = Buffer.from('null');

/** `ferry consume TOPIC`: one record value per stdout line. */
export function registerConsumeCommand(program: Command): void {
  addBrokerOption(
    program
      .command('consume')
      .description('print one record value per line; with -n exits after N records, otherwise runs until Ctrl-C')
      .argument('<topic>', 'topic to read')
      .option('--group <group>', 'consume as a member of this consumer group and commit offsets')
      .option('--from-beginning', 'start at the earliest offset when there is no committed offset (default: only new records)')
      .option('-n, --max-messages <n>', 'exit after this many records', intArg(1))
      .option('--timeout-ms <ms>', 'stop when no record arrives for this long (with -n: an error if fewer than N arrived)', intArg(1))
      .option('--print-key', 'print the key and a separator before the value')
      .option('--key-separator <c>', 'separator printed after the key', '\t')
      .addOption(
        new Option('--subscription <name>', 'read a queue subscription (created if missing) instead of the log').conflicts([
          'group',
          'fromBeginning',
        ]),
      )
      .addOption(
        new Option(
          '--mode <mode>',
          "with --subscription: how its consumers share records (default: the existing subscription's, or shared)",
        ).choices(MODES),
      )
      .addOption(
        new Option(
          '--ack <when>',
          'with --subscription: auto (default) acks each record once printed; manual never acks (records return to the queue on exit)',
        ).choices(['auto', 'manual']),
      )
      .option(
        '--prefetch <n>',
        'with --subscription: most unacknowledged records held (default: -n if given, else the broker default)',
        intArg(1),
      )
      .addOption(
        new Option('--start-at <where>', 'with --subscription, when it is created here: earliest (default) or latest').choices([
          'earliest',
          'latest',
        ]),
      ),
  ).action(async (topic: string, options: ConsumeOptions) => {
    const queueOnly = [options.mode && '--mode', options.ack && '--ack', options.prefetch && '--prefetch', options.startAt && '--start-at'];
    const misplaced = queueOnly.filter(Boolean);
    if (options.subscription === undefined && misplaced.length > 0) throw new UsageError(`${misplaced.join(', ')} need --subscription`);
    const { received, reason } = await withClient(options, async (client) => {
      if (options.subscription !== undefined) {
        const { subscription, mode, ack = 'auto' } = options;
        return consumeSubscription(client, topic, { ...options, subscription, mode, ack });
      }
      // A consumer waits for a missing topic to appear; on the command line that looks like a
      // hang, so a missing topic is an error here (UNKNOWN_TOPIC_OR_PARTITION).
      await client.admin().describeTopic(topic);
      const consumer = client.consumer({ topics: [topic], groupId: options.group, fromBeginning: options.fromBeginning ?? false });
      return consumeTo(consumer, options);
    });
    if (reason === 'idle' && options.maxMessages !== undefined && received < options.maxMessages) {
      throw new FerryError(
        ErrorCode.TIMEOUT,
        `received ${received} of ${options.maxMessages} record(s) before ${options.timeoutMs} ms without a record`,
      );
    }
  });
}

/**
 * Prints records until the count, an idle timeout, a signal or a closed stdout. Before the
 * client closes (which commits, in a group), every partition is sought to just after the last
 * record printed, so the commit covers exactly what reached stdout: never a record not printed.
 */
async function consumeTo(consumer: Consumer, options: ConsumeOptions): Promise<{ received: number; reason: StopReason | 'count' | 'end' }> {
  const limit = options.maxMessages ?? Number.POSITIVE_INFINITY;
  const separator = Buffer.from(options.keySeparator, 'utf8');
  const printed = new Map<string, { topic: string; partition: number; nextOffset: number }>();
  let received = 0;
  let reason: StopReason | 'count' | 'end' = 'count';
  const watch = watchForStop(options.timeoutMs);
  const stopped = watch.stopped;

  const iterator = consumer.batches();
  try {
    watch.armIdle();
    while (received < limit) {
      const next = iterator.next();
      const result = await Promise.race([next, stopped]);
      if (typeof result === 'string') {
        next.catch(() => {}); // the consumer's close ends it; nothing waits for it any more
        reason = result;
        break;
      }
      if (result.done) {
        reason = 'end';
        break;
      }
      const batch = result.value;
      const take = Math.min(batch.length, limit - received);
      const output = formatBatch(batch, take, options.printKey ? separator : null);
      received += take;
      const last = batch[take - 1]!;
      printed.set(`${last.topic}\u0000${last.partition}`, { topic: last.topic, partition: last.partition, nextOffset: last.offset + 1 });
      if (!process.stdout.write(output)) {
        const stoppedBy = await Promise.race([once(process.stdout, 'drain').then(() => null), stopped]);
        if (stoppedBy !== null) {
          reason = stoppedBy;
          break;
        }
      }
      watch.armIdle();
    }
  } finally {
    watch.dispose();
    for (const { topic, partition, nextOffset } of printed.values()) consumer.seek(topic, partition, nextOffset);
  }
  return { received, reason };
}

function formatBatch(batch: readonly ConsumerMessage[], count: number, keySeparator: Buffer | null): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const message = batch[i]!;
    if (keySeparator !== null) parts.push(message.key ?? NULL_TEXT, keySeparator);
    parts.push(message.value ?? NULL_TEXT, NEWLINE);
  }
  return Buffer.concat(parts);
}
