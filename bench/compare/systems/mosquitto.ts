/**
 * Mosquitto from Debian's package: MQTT 3.1.1, QoS 1, persistence on. A PUBACK means the broker
 * holds the message in memory: persistence writes the whole in-memory state to one file every
 * autosave_interval (default 1800 s) and at shutdown, so this row is the weakest durability of
 * the table. Competing consumers use shared subscriptions (`$share/<group>/<topic>`).
 * Ferry has no MQTT listener yet, so these rows have no Ferry counterpart.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
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
  id: 'mosquitto',
  product: 'mosquitto',
  durability: 'MQTT QoS 1, persistence on: PUBACK once in memory; the state file is written every 30 min (autosave_interval) and at exit',
  workloads: new Set(['publish', 'end-to-end', 'queue', 'latency', 'fan-out', 'scale']),
};

function config(port: number, dataDir: string): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence true',
    `persistence_location ${dataDir}/`,
    // Stay root: the data folder is ours (0700), the mosquitto user could not write it.
    'user root',
    // Outgoing QoS 1 window per subscriber = the common prefetch; queue past it without drops
    // (the default 1000 would silently discard records of a lagging subscriber).
    `max_inflight_messages ${CONSUMER_PREFETCH}`,
    'max_queued_messages 10000000',
    'log_dest stderr',
    '',
  ].join('\n');
}

export function mosquittoAdapter(): SystemAdapter {
  return {
    info,
    debianPackage: 'mosquitto',
    async start(dataDir: string): Promise<RunningSystem> {
      const port = await freePort();
      const configFile = join(dataDir, 'mosquitto.conf');
      await writeFile(configFile, config(port, dataDir));
      const child = spawnServer('mosquitto', ['-c', configFile], { dataDir });
      await waitForPort(port, 30_000, 'mosquitto', child);
      const url = `mqtt://127.0.0.1:${port}`;
      const version = await debianVersion('mosquitto');
      let clientCount = 0;
      let shared: Promise<MqttClient> | undefined;
      const open = (): Promise<MqttClient> =>
        mqtt.connectAsync(url, { clientId: `bench-${clientCount++}`, protocolVersion: 4, reconnectPeriod: 0 });
      return {
        info,
        pid: child.pid!,
        version,
        async channel(name: string, kind: ChannelKind): Promise<Channel> {
          const topic = `bench/${name}`;
          return {
            name,
            // Nothing to drop: MQTT keeps no per-topic state once subscribers are gone.
            async drop() {},
            async publisher(options?: { shared?: boolean }): Promise<Publisher> {
              const isShared = options?.shared === true;
              const client = await (isShared ? (shared ??= open()) : open());
              return {
                async publish(values) {
                  await Promise.all(values.map((value) => client.publishAsync(topic, value, { qos: 1 })));
                },
                close: async () => {
                  if (!isShared) await client.endAsync();
                },
              };
            },
            async subscribe(group: string, onDelivery: DeliveryHandler): Promise<Subscription> {
              const client = await open();
              client.on('message', (_topic, payload) => onDelivery(payload));
              await client.subscribeAsync(kind === 'queue' ? `$share/${group}/${topic}` : topic, { qos: 1 });
              return { close: () => client.endAsync() };
            },
          };
        },
        async stop() {
          if (shared) await (await shared).endAsync().catch(() => {});
          await stopPid(child.pid!);
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
}
