import { type Command, Option } from 'commander';
import type { FerryClient } from '../../client/index.ts';
import { runConsumeBench } from '../bench/consume-bench.ts';
import { runE2eBench } from '../bench/e2e-bench.ts';
import type { BenchOptions } from '../bench/options.ts';
import { runProduceBench } from '../bench/produce-bench.ts';
import { type BenchResult, formatResult } from '../bench/report.ts';
import { addBrokerOption, intArg, withClient } from '../client-options.ts';
import { formatJson, print } from '../output.ts';

interface ModeDefaults {
  description: string;
  topic: string;
  records: number;
  rate: number;
  run: (client: FerryClient, options: BenchOptions) => Promise<BenchResult>;
}

const MODES: Readonly<Record<'produce' | 'consume' | 'e2e', ModeDefaults>> = {
  produce: {
    description: 'producer throughput and send-to-ack latency (like kafka-producer-perf-test)',
    topic: 'ferry-bench',
    records: 1_000_000,
    rate: 0,
    run: runProduceBench,
  },
  consume: {
    description: 'consumer throughput from the start of a topic (like kafka-consumer-perf-test); run bench produce first',
    topic: 'ferry-bench',
    records: 1_000_000,
    rate: 0,
    run: runConsumeBench,
  },
  e2e: {
    description: 'end-to-end latency (scheduled send to consumption) at a fixed --rate',
    topic: 'ferry-bench-e2e',
    records: 100_000,
    rate: 10_000,
    run: runE2eBench,
  },
};

/** `ferry bench produce|consume|e2e`: prints records/s, MB/s and latency percentiles. */
export function registerBenchCommands(program: Command): void {
  const bench = program.command('bench').description('measure throughput and latency against a running broker with the TypeScript client');
  for (const [mode, defaults] of Object.entries(MODES)) {
    addBrokerOption(
      bench
        .command(mode)
        .description(defaults.description)
        .option('--records <n>', 'records to send or read', intArg(1), defaults.records)
        .option('--size <bytes>', 'value size of each record', intArg(0), 100)
        .option('--partitions <n>', 'partitions of the topic when the bench creates it', intArg(1), 1)
        .option('--rate <n>', 'records per second (0 = as fast as possible)', intArg(0), defaults.rate)
        .option('--topic <name>', 'topic to use (created if missing)', defaults.topic)
        .addOption(new Option('--acks <acks>', 'producer acks').choices(['all', '1', '0']).default('all'))
        .option('--linger-ms <ms>', `producer linger (default: ${mode === 'e2e' ? '0' : "the client's, 5"})`, intArg(0))
        .option('--batch-bytes <n>', "producer batch size (default: the client's, 256 KiB)", intArg(1))
        .option('--max-in-flight <n>', "producer requests in flight at once (default: the client's, 5)", intArg(1))
        .option('--buffer-bytes <n>', 'producer buffer: bytes accepted but not yet acknowledged', intArg(1024), 8 * 1024 * 1024)
        .addOption(
          new Option('--compression <codec>', 'batch compression').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'),
        )
        .option('--fetch-bytes <n>', 'consumer fetch size per partition and per answer', intArg(1024), 8 * 1024 * 1024)
        .option('--timeout-ms <ms>', 'give up when no record arrives for this long', intArg(1), 10_000)
        .option('--json', 'print the result as JSON'),
    ).action(async (options: BenchOptions) => {
      const result = await withClient(options, (client) => defaults.run(client, options));
      print(options.json ? formatJson(result) : formatResult(result));
    });
  }
}
