import { Registry } from 'prom-client';
import { Broker } from '../broker/broker.ts';
import { ErrorCode, FerryError, toFerryError } from '../common/errors.ts';
import { createLogger, type Logger } from '../common/logger.ts';
import { AlertManager } from '../observability/alerts/index.ts';
import { createFerryMetrics, type FerryMetrics } from '../observability/metrics/metrics.ts';
import { adminRoutes } from '../protocols/http/admin/index.ts';
import { alertRoutes } from '../protocols/http/alerts-routes.ts';
import { metricsRoute } from '../protocols/http/metrics-route.ts';
import { type HttpPlugin, type HttpServer, startHttpServer } from '../protocols/http/server.ts';
import { type KafkaServer, startKafkaServer } from '../protocols/kafka/server.ts';
import { type NativeServer, startNativeServer } from '../protocols/native/server.ts';
import { openLogManager } from '../storage/log-manager.ts';
import { NodeFileSystem } from '../storage/node-file-system.ts';
import type { LogManager } from '../storage/types.ts';
import type { FerryConfig } from './config.ts';
import { checkDataDir } from './data-dir.ts';
import { logDefaults } from './log-defaults.ts';
import { brokerStateSource } from './metrics-source.ts';
import { applyHeapGrowingPercent } from './v8-heap.ts';

export interface StartFerryOptions {
  /** Default: pino JSON lines on stdout at `config.logLevel`. */
  logger?: Logger;
}

export interface RunningFerry {
  /** Ports actually bound (differ from the config when it asked for 0). */
  readonly nativePort: number;
  readonly httpPort: number;
  /** null when the Kafka listener is off (`kafkaPort` -1, or `auto` with 9092 taken). */
  readonly kafkaPort: number | null;
  readonly broker: Broker;
  /** The metrics registry behind GET /metrics (a disabled one when `metrics.enabled` is false). */
  readonly metrics: FerryMetrics;
  /** Built-in alerting (docs/alerts.md): rules, their states, silences. */
  readonly alerts: AlertManager;
  /**
   * Graceful stop: `/readyz` turns 503, the protocol listeners stop accepting and connections are
   * closed (waiting at most `shutdownTimeoutMs` for them), then the broker flushes and closes
   * every log, which writes the clean-shutdown marker. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Wires one broker process: data dir -> HTTP probes -> storage -> broker -> native and Kafka
 * listeners.
 * The probe listener binds first so `/readyz` can say 503 during a long log recovery. Any failure
 * closes what was opened and rejects with a FerryError (STORAGE_ERROR, or
 * UNKNOWN_SERVER_ERROR with `details.errno` such as EADDRINUSE when a listener cannot bind).
 */
export async function startFerry(config: FerryConfig, options: StartFerryOptions = {}): Promise<RunningFerry> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  applyHeapGrowingPercent(config.heapGrowingPercent);
  await checkDataDir(config.dataDir);
  const metrics = createFerryMetrics(config.metrics);
  // /metrics answers from the start (process metrics during a long recovery); broker gauges follow.
  const health = await listen('http', config.host, config.httpPort, () =>
    startHttpServer({
      host: config.host,
      port: config.httpPort,
      logger,
      plugins: [metricsRoute({ metrics })],
      maxBodyBytes: config.http.maxBodyBytes,
    }),
  );
  let logs: LogManager | null = null;
  let broker: Broker | null = null;
  let native: NativeServer | null = null;
  let kafka: KafkaServer | null = null;
  let alerts: AlertManager | null = null;
  try {
    const defaults = logDefaults(config);
    const openedLogs = await openLogManager({
      dataDir: config.dataDir,
      logger: logger.child({ component: 'storage' }),
      defaults,
      maxOpenFiles: config.storage.maxOpenFiles,
      fs: new NodeFileSystem({ syncWriteMaxBytes: config.storage.syncWriteMaxBytes }),
      retentionCheckIntervalMs: config.storage.retentionCheckIntervalMs,
      tailCacheMaxBytesPerPartition: config.storage.tailCacheMaxBytesPerPartition,
      tailCacheMaxBytes: config.storage.tailCacheMaxBytes,
    });
    logs = openedLogs;
    broker = await Broker.open({
      logs: openedLogs,
      config: { ...config.broker, log: defaults },
      logger,
      queues: config.queues,
      metrics: metrics.recorder,
    });
    const openBroker = broker;
    metrics.setStateSource(brokerStateSource(openBroker, config.dataDir, logger));
    native = await listen('native', config.host, config.nativePort, () =>
      startNativeServer({ broker: openBroker, host: config.host, port: config.nativePort, logger, limits: config.native }),
    );
    kafka = await startKafkaListener(config, openBroker, logger);
    // HTTP routes that need the open broker (metrics, admin API, alerts): one plugin each.
    // Rules read the same registry /metrics serves; scrape-time gauges (lag, disk) are refreshed
    // before each evaluation. With metrics off, an empty registry: rules find nothing to fire on.
    const openAlerts = new AlertManager({
      registry: metrics.registry ?? new Registry(),
      config: config.alerts,
      logger,
      dataDir: config.dataDir,
      refresh: () => metrics.collect(),
    });
    alerts = openAlerts;
    await openAlerts.start();
    const httpPlugins: HttpPlugin[] = [
      adminRoutes({ broker: openBroker, logger, limits: config.http }),
      alertRoutes({ alerts: openAlerts }),
    ];
    await health.addPlugins(httpPlugins);
  } catch (error) {
    const startedAlerts = alerts;
    await closeQuietly(logger, startedAlerts && { close: () => startedAlerts.stop() }, native, broker ?? logs, health);
    throw toFerryError(error, ErrorCode.STORAGE_ERROR);
  }
  health.setReadiness('ready');
  const kafkaPort = kafka?.port ?? null;
  logger.info({ dataDir: config.dataDir, host: config.host, nativePort: native.port, kafkaPort, httpPort: health.port }, 'ferry ready');

  const openBroker = broker;
  const openAlerts = alerts as AlertManager;
  const listeners = kafka ? [native, kafka] : [native];
  let closing: Promise<void> | null = null;
  return {
    nativePort: native.port,
    httpPort: health.port,
    kafkaPort,
    broker,
    metrics,
    alerts: openAlerts,
    close() {
      closing ??= shutdown({
        logger,
        health,
        listeners,
        broker: openBroker,
        alerts: openAlerts,
        shutdownTimeoutMs: config.shutdownTimeoutMs,
      });
      return closing;
    },
  };
}

/** Kafka's usual port, which `kafkaPort: auto` tries. */
export const KAFKA_DEFAULT_PORT = 9092;

/**
 * The Kafka listener as `kafkaPort` asks: off (-1), on a given port (failing the start if it is
 * taken), or `auto`: 9092 if free. `auto` gives way with a warning rather than failing, so a
 * broker started for the native protocol alone never fails because a Kafka runs on this machine.
 */
async function startKafkaListener(config: FerryConfig, broker: Broker, logger: Logger): Promise<KafkaServer | null> {
  if (config.kafkaPort === -1) return null;
  const port = config.kafkaPort === 'auto' ? KAFKA_DEFAULT_PORT : config.kafkaPort;
  const start = () =>
    startKafkaServer({
      broker,
      host: config.host,
      port,
      advertisedHost: config.advertisedHost || undefined,
      advertisedPort: config.advertisedPort || undefined,
      logger,
      limits: config.kafka,
    });
  try {
    return await listen('kafka', config.host, port, start);
  } catch (error) {
    if (config.kafkaPort !== 'auto') throw error;
    logger.warn(
      { host: config.host, port, reason: (error as Error).message },
      'kafka listener not started: its port is taken (set kafkaPort to a port, 0 for any, or -1 for none)',
    );
    return null;
  }
}

interface Listener {
  readonly connectionCount: number;
  close(): Promise<void>;
}

async function shutdown(parts: {
  logger: Logger;
  health: HttpServer;
  listeners: Listener[];
  broker: Broker;
  alerts: AlertManager;
  shutdownTimeoutMs: number;
}): Promise<void> {
  const { logger, health, listeners, broker, alerts } = parts;
  const startedAt = Date.now();
  const connections = () => listeners.reduce((sum, listener) => sum + listener.connectionCount, 0);
  health.setReadiness('stopping');
  logger.info({ connections: connections() }, 'shutting down: closing connections');
  // Connections that do not close in time are left to die with the process: flushing what was
  // acknowledged matters more than a polite goodbye to a stuck peer.
  const drained = await withTimeout(Promise.all(listeners.map((listener) => listener.close())), parts.shutdownTimeoutMs);
  if (!drained)
    logger.warn({ connections: connections(), shutdownTimeoutMs: parts.shutdownTimeoutMs }, 'connections still open; closing anyway');
  // Before the broker closes: no evaluation reads a closing broker, notifications in flight finish.
  await withTimeout(alerts.stop(), parts.shutdownTimeoutMs);
  await broker.close();
  await health.close();
  logger.info({ elapsedMs: Date.now() - startedAt }, 'ferry stopped cleanly');
}

/** Resolves true if `work` settled within `timeoutMs`, false otherwise (work keeps running). */
async function withTimeout(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function listen<T>(name: string, host: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    const reason = errno === 'EADDRINUSE' ? 'address already in use' : errno === 'EACCES' ? 'permission denied' : (error as Error).message;
    // No FerryError code fits a bind failure; the errno in details is what the CLI prints.
    throw new FerryError(ErrorCode.UNKNOWN_SERVER_ERROR, `cannot listen on ${host}:${port} (${name}): ${reason}`, {
      name,
      host,
      port,
      errno,
    });
  }
}

async function closeQuietly(logger: Logger, ...parts: ({ close(): Promise<void> } | null)[]): Promise<void> {
  for (const part of parts) {
    try {
      await part?.close();
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'error while closing after a failed start');
    }
  }
}
