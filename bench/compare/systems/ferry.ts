/**
 * Ferry, built and started as its own process (`node dist/cli/main.js start`) like an operator would, and
 * driven with its native client. One partition per channel, so a channel is one ordered log like
 * a RabbitMQ queue or a Redis stream.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Consumer,
  connect,
  type FerryClient,
  type Producer,
  type ProducerOptions,
  type ProducerRecord,
} from '../../../src/client/index.ts';
import { freePort, spawnServer, stopPid, waitForPort } from '../process.ts';
import {
  CONSUMER_PREFETCH,
  type Channel,
  type ChannelKind,
  type DeliveryHandler,
  type Publisher,
  type RunningSystem,
  type Subscription,
  type SystemAdapter,
  type SystemInfo,
} from '../types.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let isBuilt = false;
/** The broker runs from the build, as `npm start` runs it: Node's type stripping of `src/` would
 *  cost the broker ~34 MiB of RSS and slower start-up that no operator pays. Built once per run. */
function buildOnce(): void {
  if (isBuilt) return;
  const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
  isBuilt = true;
}

function ferryVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    return `${pkg.version} (${commit})`;
  } catch {
    return pkg.version;
  }
}

/** BENCH_COMPARE_PRODUCER_OPTIONS='{"lingerMs":5,"maxInFlight":20}' overrides the producer's
 *  options, to test what a row is bound by; the published figures use the defaults below. */
function producerOverrides(): ProducerOptions {
  const text = process.env.BENCH_COMPARE_PRODUCER_OPTIONS;
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('BENCH_COMPARE_PRODUCER_OPTIONS must be a JSON object');
  return parsed as ProducerOptions;
}

function newProducer(client: FerryClient): Producer {
  // lingerMs 0: a batch leaves as soon as the caller's records are in it; the workloads
  // already hand over whole batches, and the latency workload must not wait 5 ms for more.
  return client.producer({ acks: 'all', lingerMs: 0, ...producerOverrides() });
}

class FerryPublisher implements Publisher {
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #isShared: boolean;
  constructor(producer: Producer, topic: string, isShared: boolean) {
    this.#producer = producer;
    this.#topic = topic;
    this.#isShared = isShared;
  }
  async publish(values: readonly Buffer[]): Promise<void> {
    const records: ProducerRecord[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) records[i] = { topic: this.#topic, value: values[i]! };
    await this.#producer.sendBatch(records);
  }
  async close(): Promise<void> {
    if (!this.#isShared) await this.#producer.close();
  }
}

async function streamSubscription(client: FerryClient, topic: string, group: string, onDelivery: DeliveryHandler): Promise<Subscription> {
  const consumer: Consumer = client.consumer({ topics: [topic], groupId: group, fromBeginning: true, maxWaitMs: 100 });
  const loop = (async () => {
    for await (const batch of consumer.batches()) {
      for (const message of batch) onDelivery(message.value!);
      // The stream consumer's acknowledgement is its offset commit: one per fetched chunk.
      consumer.commitAsync();
    }
  })();
  loop.catch(() => {}); // ends when close() stops the iterator
  await consumer.ready();
  return {
    async close() {
      await consumer.close();
      await loop.catch(() => {});
    },
  };
}

async function queueSubscription(client: FerryClient, topic: string, group: string, onDelivery: DeliveryHandler): Promise<Subscription> {
  const subscription = await client.subscribe({
    topic,
    subscription: group,
    mode: 'shared',
    prefetch: CONSUMER_PREFETCH,
    startAt: 'earliest',
  });
  // autoAck: each message is acked when eachMessage returns; the client coalesces the acks of a
  // tick into one frame instead of awaiting each (as RabbitMQ's ack does not wait either).
  const running = subscription.run({ eachMessage: (message) => onDelivery(message.value!), autoAck: true });
  running.catch(() => {});
  return {
    async close() {
      await subscription.close();
      await running.catch(() => {});
    },
  };
}

class FerryChannel implements Channel {
  readonly name: string;
  readonly #client: FerryClient;
  readonly #kind: ChannelKind;
  readonly #sharedProducer: () => Producer;
  constructor(client: FerryClient, name: string, kind: ChannelKind, sharedProducer: () => Producer) {
    this.#client = client;
    this.name = name;
    this.#kind = kind;
    this.#sharedProducer = sharedProducer;
  }
  async drop(): Promise<void> {
    await this.#client.admin().deleteTopic(this.name);
  }
  async publisher(options?: { shared?: boolean }): Promise<Publisher> {
    if (options?.shared) return new FerryPublisher(this.#sharedProducer(), this.name, true);
    return new FerryPublisher(newProducer(this.#client), this.name, false);
  }
  subscribe(group: string, onDelivery: DeliveryHandler): Promise<Subscription> {
    if (this.#kind === 'queue') return queueSubscription(this.#client, this.name, group, onDelivery);
    return streamSubscription(this.#client, this.name, group, onDelivery);
  }
}

export function ferryAdapter(flush: 'always' | 'none'): SystemAdapter {
  const info: SystemInfo = {
    id: `ferry-${flush}`,
    product: 'ferry',
    durability:
      flush === 'always'
        ? 'ack after fdatasync of the batch (group commit), acks all'
        : 'ack after write() to the page cache; the OS flushes (flush-policy none)',
    workloads: new Set(['publish', 'end-to-end', 'queue', 'latency', 'fan-out', 'scale']),
  };
  return {
    info,
    async start(dataDir: string): Promise<RunningSystem> {
      buildOnce();
      const port = await freePort();
      const child = spawnServer(
        process.execPath,
        [
          // --profile-dir: a V8 CPU profile of the broker, written when it stops (profile-summary.ts reads it).
          ...(process.env.BENCH_COMPARE_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_COMPARE_PROFILE_DIR}`] : []),
          // BENCH_COMPARE_NODE_ARGS='--trace-gc': extra Node flags for the broker, to see what a row is bound by.
          ...(process.env.BENCH_COMPARE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
          'dist/cli/main.js',
          'start',
          `--data-dir=${dataDir}/data`,
          `--native-port=${port}`,
          '--http-port=0',
          '--kafka-port=-1',
          `--flush-policy=${flush}`,
          '--log-level=warn',
          // A group's first rebalance would wait 3 s for more members: setup time, not a figure.
          '--group-initial-rebalance-delay-ms=0',
        ],
        { dataDir, cwd: REPO_ROOT },
      );
      await waitForPort(port, 30_000, 'ferry', child);
      const client = await connect(`127.0.0.1:${port}`);
      const admin = client.admin();
      const version = ferryVersion();
      let shared: Producer | undefined;
      const sharedProducer = (): Producer => (shared ??= newProducer(client));
      return {
        info,
        pid: child.pid!,
        version,
        async channel(name: string, kind: ChannelKind): Promise<Channel> {
          await admin.createTopic({ name, partitions: 1 });
          return new FerryChannel(client, name, kind, sharedProducer);
        },
        async stop() {
          await client.close().catch(() => {});
          await stopPid(child.pid!);
          // --profile-dir keeps the broker's log beside its profile: what BENCH_COMPARE_NODE_ARGS
          // (--trace-gc, --trace-opt) printed, which the data folder would take with it.
          const profileDir = process.env.BENCH_COMPARE_PROFILE_DIR;
          if (profileDir) {
            await mkdir(profileDir, { recursive: true });
            await copyFile(join(dataDir, 'server.log'), join(profileDir, `${info.id}-${child.pid}.log`));
          }
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
}
