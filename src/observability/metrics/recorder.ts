/**
 * What the hot paths call. The broker and the protocol sessions hold these objects, resolved once
 * per partition or per protocol, so a produce or fetch costs a few additions on prom-client
 * children already looked up: no label hashing, no allocation per record (DESIGN.md section 4).
 * With metrics off, every method is a no-op on a shared object (NOOP_BROKER_METRICS).
 *
 * Observability imports no broker or protocol code: the shapes here are what those layers need,
 * and they import them.
 */

/** One partition's counters (and its topic's end-to-end latency). */
export interface PartitionMetrics {
  /** A produce request's batches were appended: `records` and `bytes` of the whole request. */
  appended(records: number, bytes: number): void;
  /**
   * Stored batches handed to a consumer (fetch or queue delivery). Walks the batch headers
   * once: records out, bytes out, and end-to-end latency per batch (now - batch max timestamp).
   */
  handedOut(batches: Buffer, nowMs: number): void;
  /** Decoded records handed to a queue consumer: records out, key + value bytes out. */
  delivered(records: number, bytes: number): void;
  /** One end-to-end latency observation for the topic (ms; negative counts as 0). */
  observeEndToEnd(ageMs: number): void;
}

/** The counters of one wire protocol (`native`, `kafka`, ...). */
export interface ProtocolMetrics {
  /**
   * One request answered. `request` is the API name (bounded by the protocol), `errorCode` the
   * protocol's own code for it or `none`; `startedMs` from `performance.now()` at its arrival.
   * Produce and fetch requests also feed the latency histograms.
   */
  requestDone(request: string, errorCode: string, startedMs: number): void;
  /** Counts a connection and its network bytes until it closes. */
  trackConnection(socket: TrackedSocket): void;
}

/** What `trackConnection` reads of a socket (node:net's Socket has it). */
export interface TrackedSocket {
  readonly bytesRead: number;
  readonly bytesWritten: number;
  once(event: 'close', listener: () => void): unknown;
}

/** Which request names count as produce and fetch for the latency histograms, per protocol. */
export interface LatencyKinds {
  produce: readonly string[];
  fetch: readonly string[];
}

export interface BrokerMetrics {
  readonly isEnabled: boolean;
  /** Cached per (topic, partition): call once, keep the object. */
  partition(topic: string, partition: number): PartitionMetrics;
  /** Cached per protocol name. */
  protocol(name: string): ProtocolMetrics;
  /** Drops the series of partitions that no longer exist (topic deleted), so labels stay bounded. */
  retainPartitions(exists: (topic: string, partition: number) => boolean): void;
}

const NOOP_PARTITION: PartitionMetrics = {
  appended() {},
  handedOut() {},
  delivered() {},
  observeEndToEnd() {},
};

const NOOP_PROTOCOL: ProtocolMetrics = {
  requestDone() {},
  trackConnection() {},
};

export const NOOP_BROKER_METRICS: BrokerMetrics = {
  isEnabled: false,
  partition: () => NOOP_PARTITION,
  protocol: () => NOOP_PROTOCOL,
  retainPartitions() {},
};
