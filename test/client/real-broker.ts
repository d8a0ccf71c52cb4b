import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/broker/broker.ts';
import type { BrokerConfig } from '../../src/broker/config.ts';
import { type Logger, silentLogger } from '../../src/common/logger.ts';
import type { NativeLimits } from '../../src/protocols/native/limits.ts';
import { type NativeServer, startNativeServer } from '../../src/protocols/native/server.ts';
import { openLogManager } from '../../src/storage/log-manager.ts';

export interface RealBroker {
  broker: Broker;
  server: NativeServer;
  dataDir: string;
  url: string;
  /** Stops server and broker (keeps the data directory). */
  stop(): Promise<void>;
}

/** Group timings short enough for tests: no initial rebalance delay, 1 s minimum session. */
export const TEST_GROUP_CONFIG: Partial<BrokerConfig> = { groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 500 };

/** The real broker in a temp dir, with the native server on a free port; removed in t.after. */
export async function startRealBroker(
  t: { after: (fn: () => Promise<void>) => void },
  options: { config?: Partial<BrokerConfig>; limits?: Partial<NativeLimits>; logger?: Logger; dataDir?: string } = {},
): Promise<RealBroker> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'ferry-native-')));
  const running = await open(dataDir, options);
  t.after(async () => {
    await running.stop();
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return running;
}

async function open(
  dataDir: string,
  options: { config?: Partial<BrokerConfig>; limits?: Partial<NativeLimits>; logger?: Logger },
): Promise<RealBroker> {
  const logger = options.logger ?? silentLogger;
  const logs = await openLogManager({ dataDir, logger });
  const broker = await Broker.open({ logs, logger, config: { ...TEST_GROUP_CONFIG, ...options.config } });
  const server = await startNativeServer({ broker, host: '127.0.0.1', port: 0, logger, limits: options.limits });
  let stopped: Promise<void> | null = null;
  return {
    broker,
    server,
    dataDir,
    url: `ferry://127.0.0.1:${server.port}`,
    stop() {
      stopped ??= (async () => {
        await server.close();
        await broker.close();
      })();
      return stopped;
    },
  };
}
