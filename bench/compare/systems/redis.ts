/**
 * Redis Streams from Debian's redis-server with the append-only file on: appendfsync `everysec`
 * (the default: a reply may precede the fsync by up to a second) or `always` (fsync before the
 * reply, one fsync per event-loop turn for all clients). Publishes are pipelined XADDs; each
 * group is a consumer group read with XREADGROUP and acknowledged with one XACK per read.
 */
import { rm } from 'node:fs/promises';
import { Redis } from 'ioredis';
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

type StreamEntries = Array<[id: Buffer, fields: Buffer[]]>;

/**
 * XREADGROUP's answer: RESP2 gives [[key, entries], ...]; ioredis 6 speaks RESP3 by default,
 * where it is a map that callBuffer hands back flattened as [key, entries, key, entries, ...].
 */
function entriesOf(reply: unknown): StreamEntries[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  if (Buffer.isBuffer(reply[0])) return reply.filter((_, i) => i % 2 === 1) as StreamEntries[];
  return (reply as Array<[Buffer, StreamEntries]>).map(([, entries]) => entries);
}

function redisInfo(fsync: 'everysec' | 'always'): SystemInfo {
  return {
    id: `redis-${fsync}`,
    product: 'redis',
    durability:
      fsync === 'always'
        ? 'AOF appendfsync always: reply after write() and fsync of the AOF (one fsync per event-loop turn)'
        : 'AOF appendfsync everysec: reply after write() to the AOF; fsync once a second (up to ~1 s lost on power loss)',
    workloads: new Set(['publish', 'end-to-end', 'queue', 'latency', 'fan-out', 'scale']),
  };
}

async function readLoop(
  connection: Redis,
  key: string,
  group: string,
  consumerName: string,
  onDelivery: DeliveryHandler,
  isOpen: () => boolean,
) {
  while (isOpen()) {
    const reply = await connection.callBuffer(
      'XREADGROUP',
      'GROUP',
      group,
      consumerName,
      'COUNT',
      CONSUMER_PREFETCH,
      'BLOCK',
      100,
      'STREAMS',
      key,
      '>',
    );
    for (const entries of entriesOf(reply)) {
      if (entries.length === 0) continue;
      const ids: Buffer[] = new Array(entries.length);
      for (let i = 0; i < entries.length; i++) {
        const [id, fields] = entries[i]!;
        ids[i] = id;
        onDelivery(fields[1]!);
      }
      await connection.callBuffer('XACK', key, group, ...ids);
    }
  }
}

export function redisAdapter(fsync: 'everysec' | 'always'): SystemAdapter {
  const info = redisInfo(fsync);
  return {
    info,
    debianPackage: 'redis-server',
    async start(dataDir: string): Promise<RunningSystem> {
      const port = await freePort();
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--appendfsync', fsync];
      // No RDB snapshots: the AOF is the durability under test; no daemonizing: we own the pid.
      args.push('--save', '', '--daemonize', 'no', '--protected-mode', 'no', '--logfile', '');
      const child = spawnServer('redis-server', args, { dataDir });
      await waitForPort(port, 30_000, 'redis-server', child);
      const admin = new Redis({ host: '127.0.0.1', port });
      const version = await debianVersion('redis-server');
      const open = (): Redis => new Redis({ host: '127.0.0.1', port });
      return {
        info,
        pid: child.pid!,
        version,
        async channel(name: string, _kind: ChannelKind, fanOut: number): Promise<Channel> {
          for (let i = 0; i < fanOut; i++) await admin.call('XGROUP', 'CREATE', name, `g${i}`, '0', 'MKSTREAM');
          let consumerCount = 0;
          return {
            name,
            async drop() {
              await admin.del(name);
            },
            async publisher(options?: { shared?: boolean }): Promise<Publisher> {
              const isShared = options?.shared === true;
              const connection = isShared ? admin : open();
              return {
                async publish(values) {
                  const pipeline = connection.pipeline();
                  for (const value of values) pipeline.xadd(name, '*', 'v', value);
                  const results = await pipeline.exec();
                  const failed = results?.find(([error]) => error);
                  if (failed) throw failed[0];
                },
                async close() {
                  if (!isShared) connection.disconnect();
                },
              };
            },
            async subscribe(group: string, onDelivery: DeliveryHandler): Promise<Subscription> {
              const connection = open();
              let isOpen = true;
              const loop = readLoop(connection, name, group, `c${consumerCount++}`, onDelivery, () => isOpen);
              loop.catch(() => {});
              return {
                async close() {
                  isOpen = false;
                  await loop.catch(() => {});
                  connection.disconnect();
                },
              };
            },
          };
        },
        async stop() {
          admin.disconnect();
          await stopPid(child.pid!);
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
}
