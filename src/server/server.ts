import { Broker } from '../broker/broker.ts';
import { ErrorCode, FerryError, toFerryError } from '../common/errors.ts';
import { createLogger, type Logger } from '../common/logger.ts';
import { type NativeServer, startNativeServer } from '../protocols/native/server.ts';
import { openLogManager } from '../storage/log-manager.ts';
import type { LogManager } from '../storage/types.ts';
import type { FerryConfig } from './config.ts';
import { checkDataDir } from './data-dir.ts';
import { type HealthServer, startHealthServer } from './health-server.ts';
import { logDefaults } from './log-defaults.ts';

export interface StartFerryOptions {
  /** Default: pino JSON lines on stdout at `config.logLevel`. */
  logger?: Logger;
}

export interface RunningFerry {
  /** Ports actually bound (differ from the config when it asked for 0). */
  readonly nativePort: number;
  readonly httpPort: number;
  readonly broker: Broker;
  /**
   * Graceful stop: `/readyz` turns 503, the native listener stops accepting and connections are
   * closed (waiting at most `shutdownTimeoutMs` for them), then the broker flushes and closes
   * every log, which writes the clean-shutdown marker. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Wires one broker process: data dir -> HTTP probes -> storage -> broker -> native listener.
 * The probe listener binds first so `/readyz` can say 503 during a long log recovery. Any failure
 * closes what was opened and rejects with a FerryError (STORAGE_ERROR, or
 * UNKNOWN_SERVER_ERROR with `details.errno` such as EADDRINUSE when a listener cannot bind).
 */
export async function startFerry(config: FerryConfig, options: StartFerryOptions = {}): Promise<RunningFerry> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  await checkDataDir(config.dataDir);
  const health = await listen('http', config.host, config.httpPort, () =>
    startHealthServer({ host: config.host, port: config.httpPort, logger }),
  );
  let logs: LogManager | null = null;
  let broker: Broker | null = null;
  let native: NativeServer;
  try {
    const defaults = logDefaults(config);
    const openedLogs = await openLogManager({
      dataDir: config.dataDir,
      logger: logger.child({ component: 'storage' }),
      defaults,
      maxOpenFiles: config.storage.maxOpenFiles,
      retentionCheckIntervalMs: config.storage.retentionCheckIntervalMs,
    });
    logs = openedLogs;
    broker = await Broker.open({ logs: openedLogs, config: { ...config.broker, log: defaults }, logger });
    const openBroker = broker;
    native = await listen('native', config.host, config.nativePort, () =>
      startNativeServer({ broker: openBroker, host: config.host, port: config.nativePort, logger, limits: config.native }),
    );
  } catch (error) {
    await closeQuietly(logger, broker ?? logs, health);
    throw toFerryError(error, ErrorCode.STORAGE_ERROR);
  }
  health.setReadiness('ready');
  logger.info({ dataDir: config.dataDir, host: config.host, nativePort: native.port, httpPort: health.port }, 'ferry ready');

  const openBroker = broker;
  let closing: Promise<void> | null = null;
  return {
    nativePort: native.port,
    httpPort: health.port,
    broker,
    close() {
      closing ??= shutdown({ logger, health, native, broker: openBroker, shutdownTimeoutMs: config.shutdownTimeoutMs });
      return closing;
    },
  };
}

async function shutdown(parts: {
  logger: Logger;
  health: HealthServer;
  native: NativeServer;
  broker: Broker;
  shutdownTimeoutMs: number;
}): Promise<void> {
  const { logger, health, native, broker } = parts;
  const startedAt = Date.now();
  health.setReadiness('stopping');
  logger.info({ connections: native.connectionCount }, 'shutting down: closing connections');
  // Connections that do not close in time are left to die with the process: flushing what was
  // acknowledged matters more than a polite goodbye to a stuck peer.
  const drained = await withTimeout(native.close(), parts.shutdownTimeoutMs);
  if (!drained)
    logger.warn(
      { connections: native.connectionCount, shutdownTimeoutMs: parts.shutdownTimeoutMs },
      'connections still open; closing anyway',
    );
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
