/**
 * NATS JetStream from Debian's nats-server: `nats-server -js -sd DIR -a 127.0.0.1 -p PORT`.
 * One file-storage stream per channel; publishes wait for the JetStream PubAck; consumers are
 * durable pull consumers with explicit acks (max ack pending = the common prefetch).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AckPolicy, connect, DeliverPolicy, type NatsConnection, StorageType } from 'nats';
import { debianVersion } from '../debian.ts';
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

const info: SystemInfo = {
  id: 'nats-jetstream',
  product: 'nats-server',
  durability: 'file storage: PubAck after the write reached the stream file (OS page cache); fsync every 2 min by default',
  workloads: new Set(['publish', 'end-to-end', 'queue', 'latency', 'fan-out', 'scale']),
};

function streamName(channel: string): string {
  return channel.replace(/[^A-Za-z0-9_-]/g, '_');
}

export function natsAdapter(): SystemAdapter {
  return {
    info,
    debianPackage: 'nats-server',
    async start(dataDir: string): Promise<RunningSystem> {
      const port = await freePort();
      const child = spawnServer('nats-server', ['-js', '-sd', join(dataDir, 'jetstream'), '-a', '127.0.0.1', '-p', String(port)], {
        dataDir,
      });
      await waitForPort(port, 30_000, 'nats-server', child);
      const servers = `127.0.0.1:${port}`;
      const admin: NatsConnection = await connect({ servers });
      const jsm = await admin.jetstreamManager();
      const version = await debianVersion('nats-server');
      return {
        info,
        pid: child.pid!,
        version,
        async channel(name: string, _kind: ChannelKind, fanOut: number): Promise<Channel> {
          const stream = streamName(name);
          const subject = `bench.${stream}`;
          await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File });
          for (let i = 0; i < fanOut; i++) {
            await jsm.consumers.add(stream, {
              durable_name: `g${i}`,
              ack_policy: AckPolicy.Explicit,
              deliver_policy: DeliverPolicy.All,
              max_ack_pending: CONSUMER_PREFETCH,
            });
          }
          return {
            name,
            async drop() {
              await jsm.streams.delete(stream);
            },
            async publisher(options?: { shared?: boolean }): Promise<Publisher> {
              const isShared = options?.shared === true;
              const connection = isShared ? admin : await connect({ servers });
              const js = connection.jetstream();
              return {
                async publish(values) {
                  // The client's pipelining: every publish is a request awaiting its PubAck.
                  // 30 s instead of the client's 5 s: an overloaded server shows as latency, not errors.
                  await Promise.all(values.map((value) => js.publish(subject, value, { timeout: 30_000 })));
                },
                close: async () => {
                  if (!isShared) await connection.close();
                },
              };
            },
            async subscribe(group: string, onDelivery: DeliveryHandler): Promise<Subscription> {
              const connection = await connect({ servers });
              const consumer = await connection.jetstream().consumers.get(stream, group);
              const messages = await consumer.consume({ max_messages: CONSUMER_PREFETCH });
              const loop = (async () => {
                for await (const message of messages) {
                  onDelivery(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
                  message.ack();
                }
              })();
              loop.catch(() => {});
              return {
                async close() {
                  await messages.close();
                  await connection.close();
                },
              };
            },
          };
        },
        async stop() {
          await admin.close().catch(() => {});
          await stopPid(child.pid!);
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
}
