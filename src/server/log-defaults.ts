import type { LogConfig } from '../storage/types.ts';
import type { FerryConfig } from './config.ts';

/** The storage section as the log settings every topic starts from (topics may override them). */
export function logDefaults(config: FerryConfig): LogConfig {
  const { storage } = config;
  return {
    segmentBytes: storage.segmentBytes,
    segmentMs: storage.segmentMs,
    indexIntervalBytes: storage.indexIntervalBytes,
    retentionMs: storage.retentionMs,
    retentionBytes: storage.retentionBytes,
    maxBatchBytes: config.broker.maxMessageBytes,
    flush:
      storage.flushPolicy === 'interval'
        ? { kind: 'interval', intervalMs: storage.flushIntervalMs }
        : storage.flushPolicy === 'always'
          ? { kind: 'always' }
          : { kind: 'none' },
    timestampType: storage.timestampType,
  };
}
