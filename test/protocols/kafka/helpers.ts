import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Broker } from '../../../src/broker/broker.ts';
import type { BrokerConfig } from '../../../src/broker/config.ts';
import { type Logger, silentLogger } from '../../../src/common/logger.ts';
import type { KafkaLimits } from '../../../src/protocols/kafka/limits.ts';
import { type KafkaServer, startKafkaServer } from '../../../src/protocols/kafka/server.ts';
import { openLogManager } from '../../../src/storage/log-manager.ts';

export interface KafkaHarness {
  broker: Broker;
  server: KafkaServer;
  dir: string;
  /** `host:port` for client bootstrap lists. */
  bootstrap: string;
  /** Closes server and broker, then opens both again over the same data (a clean restart). */
  restart(): Promise<void>;
  /** Disconnects a client when the test ends, before the server closes (newest first).
   *  node:test runs `t.after` hooks in registration order, so clients registered with it would
   *  otherwise outlive the server they talk to. */
  cleanup<T extends { disconnect(): Promise<void> }>(client: T): T;
}

export interface HarnessOptions {
  config?: Partial<BrokerConfig>;
  limits?: Partial<KafkaLimits>;
  logger?: Logger;
}

/** Test defaults: no initial rebalance delay, and no background snapshot during a test. */
const TEST_CONFIG: Partial<BrokerConfig> = {
  groupInitialRebalanceDelayMs: 0,
  producerStateSnapshotIntervalMs: 3_600_000,
};

/**
 * A real broker (real storage in a temp dir) and a Kafka listener on a free port. When the test
 * ends: clients disconnect, the listener and the broker close, then the dir is removed, in that
 * order.
 */
export async function startKafka(t: TestContext, options: HarnessOptions = {}): Promise<KafkaHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-kafka-'));
  const logger = options.logger ?? silentLogger;
  const open = async () => {
    const logs = await openLogManager({ dataDir: dir, logger });
    const broker = await Broker.open({ logs, config: { ...TEST_CONFIG, ...options.config }, logger });
    const server = await startKafkaServer({
      broker,
      host: '127.0.0.1',
      port: 0,
      logger,
      ...(options.limits ? { limits: options.limits } : {}),
    });
    return { broker, server };
  };
  let current = await open();
  const clients: { disconnect(): Promise<void> }[] = [];
  const close = async () => {
    await current.server.close();
    await current.broker.close();
  };
  t.after(async () => {
    for (const client of clients.reverse()) await client.disconnect().catch(() => {});
    await close();
    await rm(dir, { recursive: true, force: true });
  });
  const harness: KafkaHarness = {
    broker: current.broker,
    server: current.server,
    dir,
    bootstrap: `127.0.0.1:${current.server.port}`,
    cleanup(client) {
      clients.push(client);
      return client;
    },
    async restart() {
      await close();
      current = await open();
      harness.broker = current.broker;
      harness.server = current.server;
      harness.bootstrap = `127.0.0.1:${current.server.port}`;
    },
  };
  return harness;
}
