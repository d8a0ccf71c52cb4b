import { ErrorCode, FerryError } from '../../common/errors.ts';

/**
 * Per-listener limits of the Kafka protocol: every bound on what a client can make the broker
 * hold, with its default (docs/kafka.md lists each one). Fetch wait and fetch size are capped by
 * the broker's own config (`fetchMaxWaitMs`, `fetchMaxBytes`).
 */
export interface KafkaLimits {
  /** Connections accepted at once; the next one is closed at once. Default 10,000. */
  maxConnections: number;
  /** Largest request frame, checked before allocating (Kafka's `socket.request.max.bytes`).
   *  A larger size closes the connection. Default 100 MiB. */
  maxRequestBytes: number;
  /** Requests read but not yet answered per connection (pipelining depth). Default 100. */
  maxInFlightRequestsPerConnection: number;
  /** Request bytes being served plus response bytes not yet taken by the socket. Above it the
   *  socket is not read until responses drain, so a client that never reads cannot grow broker
   *  memory. A single request larger than this is still served alone. Default 64 MiB. */
  maxInFlightBytesPerConnection: number;
  /** A connection with no traffic either way for this long is closed (Kafka's
   *  `connections.max.idle.ms`). Default 10 minutes. */
  idleTimeoutMs: number;
  /** After a protocol error, how long the peer gets to read what was written before the socket is
   *  destroyed. Default 1 s. */
  closeGraceMs: number;
  /** Shortest interval between two rebuilds of the topic-id index when a request names an
   *  unknown topic id (each rebuild describes every topic). Default 1 s. */
  topicIdRefreshIntervalMs: number;
}

export const DEFAULT_KAFKA_LIMITS: Readonly<KafkaLimits> = Object.freeze({
  maxConnections: 10_000,
  maxRequestBytes: 100 * 1024 * 1024,
  maxInFlightRequestsPerConnection: 100,
  maxInFlightBytesPerConnection: 64 * 1024 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  closeGraceMs: 1000,
  topicIdRefreshIntervalMs: 1000,
});

export function resolveKafkaLimits(overrides: Partial<KafkaLimits> | undefined): KafkaLimits {
  const limits: KafkaLimits = { ...DEFAULT_KAFKA_LIMITS };
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) continue;
    if (!(name in DEFAULT_KAFKA_LIMITS)) {
      throw new FerryError(ErrorCode.INVALID_CONFIG, `unknown Kafka limit ${name}`, { name });
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new FerryError(ErrorCode.INVALID_CONFIG, `Kafka limit ${name} must be a positive number, got ${String(value)}`, {
        name,
        value,
      });
    }
    limits[name as keyof KafkaLimits] = value;
  }
  return limits;
}
