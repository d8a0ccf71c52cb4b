/**
 * The `ferrymq` package: run a broker in-process (`startFerry`), build its configuration, and
 * talk to any Ferry broker with the TypeScript client (also at `ferrymq/client`).
 *
 *   import { startFerry, resolveConfig, connect } from 'ferrymq';
 *   const ferry = await startFerry(resolveConfig());
 *   const client = await connect(`127.0.0.1:${ferry.nativePort}`);
 */
export { startFerry, type RunningFerry, type StartFerryOptions } from './server/server.ts';
export {
  resolveConfig,
  DEFAULT_FERRY_CONFIG,
  CONFIG_OPTIONS,
  type FerryConfig,
  type ServerSettings,
  type StorageSettings,
  type BrokerSettings,
  type NativeSettings,
  type KafkaSettings,
  type ConfigEntry,
  type ConfigSources,
} from './server/config.ts';
export { loadConfig, readConfigFile, envEntries, flagEntries, type LoadConfigOptions } from './server/config-sources.ts';
export * from './client/index.ts';
export type { Logger, LogLevel } from './common/logger.ts';
