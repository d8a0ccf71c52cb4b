/**
 * RabbitMQ from Debian's package, one node per run, everything in the run's temp folder.
 * Classic durable queues or quorum queues; persistent messages; publisher confirms; consumers ack
 * every message with a prefetch of CONSUMER_PREFETCH.
 *
 * Debian's wrapper (/usr/sbin/rabbitmq-server) switches to the rabbitmq user; the real script
 * under /usr/lib/rabbitmq/bin runs as root when HOME, the mnesia and log bases, the feature-flags
 * file and the enabled-plugins file all point into our folder (without the feature-flags path it
 * fails at boot, writing to /var/lib/rabbitmq). A private ERL_EPMD_PORT gives the node its own
 * epmd, which we end with `epmd -kill` after `rabbitmqctl stop`.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { execFileAsync, freePort, spawnServer, stopPid, waitForExit } from '../process.ts';
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
import { debianVersion } from '../debian.ts';

const BIN = '/usr/lib/rabbitmq/bin';

class RabbitPublisher implements Publisher {
  readonly #channel: ConfirmChannel;
  readonly #exchange: string;
  readonly #routingKey: string;
  /** Undefined for the shared publisher: its connection is closed when the node stops. */
  readonly #connection: ChannelModel | undefined;
  constructor(connection: ChannelModel | undefined, channel: ConfirmChannel, exchange: string, routingKey: string) {
    this.#connection = connection;
    this.#channel = channel;
    this.#exchange = exchange;
    this.#routingKey = routingKey;
  }
  publish(values: readonly Buffer[]): Promise<void> {
    // Resolves when the broker confirmed these messages (basic.ack after the message is on disk
    // for durable queues). One callback per call, counting down: waitForConfirms() would wait
    // for every message outstanding on the channel, costing O(outstanding) per call, which made
    // the bench client the bottleneck on the scale workload's shared channel.
    return new Promise((resolve, reject) => {
      let left = values.length;
      const onConfirm = (error: unknown) => {
        if (error) reject(error instanceof Error ? error : new Error(`publish nacked: ${String(error)}`));
        else if (--left === 0) resolve();
      };
      for (const value of values) this.#channel.publish(this.#exchange, this.#routingKey, value, { persistent: true }, onConfirm);
    });
  }
  async close(): Promise<void> {
    await this.#connection?.close();
  }
}

function rabbitInfo(queueType: 'classic' | 'quorum'): SystemInfo {
  return {
    id: `rabbitmq-${queueType}`,
    product: 'rabbitmq',
    durability:
      queueType === 'classic'
        ? 'classic durable queue, persistent messages: confirm after the message store wrote it to disk (fsync batched)'
        : 'quorum queue (Raft, 1 node), persistent messages: confirm after the Raft WAL fsync',
    workloads: new Set(['publish', 'end-to-end', 'queue', 'latency', 'fan-out', 'scale']),
  };
}

export function rabbitmqAdapter(queueType: 'classic' | 'quorum'): SystemAdapter {
  const info = rabbitInfo(queueType);
  return {
    info,
    debianPackage: 'rabbitmq-server',
    async start(dataDir: string): Promise<RunningSystem> {
      const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
      const nodeName = `ferrybench${port}@localhost`;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        HOME: dataDir,
        RABBITMQ_MNESIA_BASE: join(dataDir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dataDir, 'log'),
        RABBITMQ_FEATURE_FLAGS_FILE: join(dataDir, 'feature_flags'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dataDir, 'enabled_plugins'),
        RABBITMQ_PID_FILE: join(dataDir, 'rabbit.pid'),
        RABBITMQ_CONFIG_FILE: join(dataDir, 'rabbitmq'),
        RABBITMQ_NODENAME: nodeName,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(port),
        RABBITMQ_DIST_PORT: String(distPort),
        ERL_EPMD_PORT: String(epmdPort),
      };
      await writeFile(join(dataDir, 'enabled_plugins'), '[].\n');
      const child = spawnServer(`${BIN}/rabbitmq-server`, [], { dataDir, env });
      const ctl = (args: string[], timeoutMs: number) =>
        execFileAsync(`${BIN}/rabbitmqctl`, ['-n', nodeName, ...args], { env, timeout: timeoutMs });
      try {
        await ctl(['wait', env.RABBITMQ_PID_FILE!, '--timeout', '120'], 130_000);
      } catch (error) {
        await stopPid(child.pid!);
        throw new Error(`rabbitmq did not start (log: ${dataDir}/server.log): ${(error as Error).message}`);
      }
      const url = `amqp://guest:guest@127.0.0.1:${port}`;
      const admin = await amqp.connect(url);
      const adminChannel = await admin.createChannel();
      const version = await debianVersion('rabbitmq-server');
      const queueArgs = queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {};
      let shared: Promise<ConfirmChannel> | undefined;
      const sharedChannel = () => (shared ??= admin.createConfirmChannel());

      return {
        info,
        pid: child.pid!,
        version,
        async channel(name: string, _kind: ChannelKind, fanOut: number): Promise<Channel> {
          // Groups g0..g(n-1) each own a durable queue; with one group the queue is `name` itself
          // and the default exchange routes to it by name.
          const isFanOut = fanOut > 1;
          if (isFanOut) await adminChannel.assertExchange(name, 'fanout', { durable: true });
          for (let i = 0; i < Math.max(1, fanOut); i++) {
            const queue = isFanOut ? `${name}.g${i}` : name;
            await adminChannel.assertQueue(queue, { durable: true, arguments: queueArgs });
            if (isFanOut) await adminChannel.bindQueue(queue, name, '');
          }
          return {
            name,
            async drop() {
              for (let i = 0; i < Math.max(1, fanOut); i++) await adminChannel.deleteQueue(isFanOut ? `${name}.g${i}` : name);
              if (isFanOut) await adminChannel.deleteExchange(name);
            },
            async publisher(options?: { shared?: boolean }) {
              const [exchange, routingKey] = isFanOut ? [name, ''] : ['', name];
              if (options?.shared) return new RabbitPublisher(undefined, await sharedChannel(), exchange, routingKey);
              const connection = await amqp.connect(url);
              const channel = await connection.createConfirmChannel();
              return new RabbitPublisher(connection, channel, exchange, routingKey);
            },
            async subscribe(group: string, onDelivery: DeliveryHandler): Promise<Subscription> {
              const connection = await amqp.connect(url);
              const channel = await connection.createChannel();
              await channel.prefetch(CONSUMER_PREFETCH);
              await channel.consume(isFanOut ? `${name}.${group}` : name, (message) => {
                if (!message) return;
                onDelivery(message.content);
                channel.ack(message);
              });
              return { close: () => connection.close() };
            },
          };
        },
        async stop() {
          await admin.close().catch(() => {});
          await ctl(['stop'], 60_000).catch(() => {});
          if (!(await waitForExit(child.pid!, 30_000))) await stopPid(child.pid!);
          await execFileAsync('epmd', ['-kill'], { env, timeout: 10_000 }).catch(() => {});
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
}
