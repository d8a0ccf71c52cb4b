import { type Command, Option } from 'commander';
import type { ProducerRecord } from '../../client/index.ts';
import { addBrokerOption, type BrokerOptions, withClient } from '../client-options.ts';
import { parseDurationMs, parseInstantMs } from '../duration.ts';
import { UsageError } from '../exit.ts';
import { readLines } from '../line-reader.ts';

interface ProduceOptions extends BrokerOptions {
  keySeparator?: string;
  acks: 'all' | '1' | '0';
  partition?: string;
  maxLineBytes: string;
  quiet?: boolean;
  delay?: number;
  deliverAt?: number;
  ttl?: number;
}

/** Scheduling and expiry applied to every record of one `ferry produce` (docs/queues.md). */
interface Timing {
  delayMs?: number;
  deliverAt?: number;
  ttlMs?: number;
}

const ACKS = { all: 'all', 1: 'leader', 0: 'none' } as const;
/** Chunks of stdin lines sent but not yet acknowledged; bounds memory when stdin is fast. */
const MAX_CHUNKS_IN_FLIGHT = 256;

/** `ferry produce TOPIC`: one record per stdin line. */
export function registerProduceCommand(program: Command): void {
  addBrokerOption(
    program
      .command('produce')
      .description('send one record per line of stdin; exits 0 once every line is acknowledged')
      .argument('<topic>', 'topic to write to')
      .option('--key-separator <c>', 'text before the first separator is the key (a line without it has no key)')
      .addOption(new Option('--acks <acks>', 'all: durable; 1: leader wrote it; 0: no answer').choices(['all', '1', '0']).default('all'))
      .option('--partition <n>', 'write every record to this partition (default: by key, or sticky)')
      .option('--max-line-bytes <n>', 'longest line accepted', String(1024 * 1024))
      .option('-q, --quiet', 'do not print the record count on stderr')
      .addOption(
        new Option('--delay <duration>', 'deliver every record this long after the broker receives it (30s, 10m, 2h)')
          .argParser(parseDurationMs)
          .conflicts('deliverAt'),
      )
      .addOption(
        new Option('--deliver-at <time>', 'deliver every record at this ISO-8601 time (2026-11-23T18:00:00Z)').argParser(parseInstantMs),
      )
      .addOption(
        new Option('--ttl <duration>', 'every record expires this long after it becomes visible (10m)').argParser(parseDurationMs),
      ),
  ).action(async (topic: string, options: ProduceOptions) => {
    const separator = options.keySeparator === undefined ? null : Buffer.from(options.keySeparator, 'utf8');
    if (separator !== null && separator.length === 0) throw new UsageError('--key-separator must not be empty');
    const partition = options.partition === undefined ? undefined : Number(options.partition);
    if (partition !== undefined && (!Number.isInteger(partition) || partition < 0))
      throw new UsageError(`--partition must be an integer >= 0`);
    const maxLineBytes = Number(options.maxLineBytes);
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new UsageError('--max-line-bytes must be a positive integer');

    if (options.ttl !== undefined && options.ttl < 1) throw new UsageError('--ttl must be at least 1ms');
    const timing: Timing = {};
    if (options.delay !== undefined) timing.delayMs = options.delay;
    if (options.deliverAt !== undefined) timing.deliverAt = options.deliverAt;
    if (options.ttl !== undefined) timing.ttlMs = options.ttl;

    const count = await withClient(options, async (client) => {
      const producer = client.producer({ acks: ACKS[options.acks] });
      const inFlight: Promise<unknown>[] = [];
      let sent = 0;
      let isFirst = true;
      for await (const lines of readLines(process.stdin, maxLineBytes)) {
        const records: ProducerRecord[] = new Array(lines.length);
        for (let i = 0; i < lines.length; i++) records[i] = toRecord(topic, lines[i]!, separator, partition, timing);
        const acked = producer.sendBatch(records);
        acked.catch(() => {}); // awaited below; this only stops an unhandled-rejection warning
        sent += records.length;
        // The first chunk waits for its answer: it loads the topic's metadata, so every later
        // chunk is appended in stdin order without an await in between.
        if (isFirst) {
          isFirst = false;
          await acked;
          continue;
        }
        inFlight.push(acked);
        if (inFlight.length >= MAX_CHUNKS_IN_FLIGHT) await inFlight.shift();
      }
      for (const acked of inFlight) await acked;
      await producer.flush();
      return sent;
    });
    if (!options.quiet) process.stderr.write(`produced ${count} record(s) to ${topic}\n`);
  });
}

function toRecord(topic: string, line: Buffer, separator: Buffer | null, partition: number | undefined, timing: Timing): ProducerRecord {
  if (separator !== null) {
    const at = line.indexOf(separator);
    if (at !== -1) return { topic, key: line.subarray(0, at), value: line.subarray(at + separator.length), partition, ...timing };
  }
  return { topic, value: line, partition, ...timing };
}
