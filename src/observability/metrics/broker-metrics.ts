import type { Counter, Histogram } from 'prom-client';
import { BATCH_HEADER_BYTES, BatchField, batchSizeBytes, readInt64 } from '../../common/record-batch-header.ts';
import type { MetricDefinitions } from './definitions.ts';
import type { BrokerMetrics, LatencyKinds, PartitionMetrics, ProtocolMetrics, TrackedSocket } from './recorder.ts';

type CounterChild = ReturnType<Counter['labels']>;
type HistogramChild = ReturnType<Histogram['labels']>;

/** Request names that are produce and fetch, per protocol; others feed no latency histogram. */
export const LATENCY_KINDS: Readonly<Record<string, LatencyKinds>> = {
  native: { produce: ['Produce'], fetch: ['Fetch'] },
  kafka: { produce: ['Produce'], fetch: ['Fetch'] },
};

class LivePartitionMetrics implements PartitionMetrics {
  private readonly recordsIn: CounterChild;
  private readonly bytesIn: CounterChild;
  private readonly recordsOut: CounterChild;
  private readonly bytesOut: CounterChild;
  private readonly endToEnd: HistogramChild;

  constructor(defs: MetricDefinitions, topic: string, partition: string) {
    this.recordsIn = defs.recordsIn.labels(topic, partition);
    this.bytesIn = defs.bytesIn.labels(topic, partition);
    this.recordsOut = defs.recordsOut.labels(topic, partition);
    this.bytesOut = defs.bytesOut.labels(topic, partition);
    this.endToEnd = defs.endToEnd.labels(topic);
  }

  appended(records: number, bytes: number): void {
    this.recordsIn.inc(records);
    this.bytesIn.inc(bytes);
  }

  handedOut(batches: Buffer, nowMs: number): void {
    if (batches.length === 0) return;
    let records = 0;
    let at = 0;
    // Header fields only, per batch; a trailing partial batch (fetch may end in one) is skipped.
    while (batches.length - at >= BATCH_HEADER_BYTES) {
      const sizeBytes = batchSizeBytes(batches, at);
      if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > batches.length - at) break;
      records += batches.readInt32BE(at + BatchField.lastOffsetDelta) + 1;
      // A producer clock ahead of ours would give a negative age: count it as 0.
      const ageMs = nowMs - readInt64(batches, at + BatchField.maxTimestamp);
      this.endToEnd.observe(ageMs > 0 ? ageMs / 1000 : 0);
      at += sizeBytes;
    }
    this.recordsOut.inc(records);
    this.bytesOut.inc(at);
  }
}

class LiveProtocolMetrics implements ProtocolMetrics {
  private readonly defs: MetricDefinitions;
  private readonly name: string;
  private readonly produceNames: ReadonlySet<string>;
  private readonly fetchNames: ReadonlySet<string>;
  private readonly produceLatency: HistogramChild;
  private readonly fetchLatency: HistogramChild;
  /** `request\0errorCode` -> counter child; bounded by API names x error codes of the protocol. */
  private readonly requestCounters = new Map<string, CounterChild>();
  private readonly sockets = new Set<TrackedSocket>();
  private closedBytesRead = 0;
  private closedBytesWritten = 0;

  constructor(defs: MetricDefinitions, name: string) {
    this.defs = defs;
    this.name = name;
    const kinds = LATENCY_KINDS[name] ?? { produce: [], fetch: [] };
    this.produceNames = new Set(kinds.produce);
    this.fetchNames = new Set(kinds.fetch);
    this.produceLatency = defs.produceLatency.labels(name);
    this.fetchLatency = defs.fetchLatency.labels(name);
    // Present from the start (0), so dashboards and rate() see the series before traffic.
    defs.connections.labels(name).set(0);
    defs.networkReceived.labels(name).inc(0);
    defs.networkSent.labels(name).inc(0);
  }

  requestDone(request: string, errorCode: string, startedMs: number): void {
    const key = `${request}\0${errorCode}`;
    let counter = this.requestCounters.get(key);
    if (counter === undefined) {
      counter = this.defs.requests.labels(this.name, request, errorCode);
      this.requestCounters.set(key, counter);
    }
    counter.inc();
    if (this.produceNames.has(request)) this.produceLatency.observe((performance.now() - startedMs) / 1000);
    else if (this.fetchNames.has(request)) this.fetchLatency.observe((performance.now() - startedMs) / 1000);
  }

  trackConnection(socket: TrackedSocket): void {
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.closedBytesRead += socket.bytesRead;
      this.closedBytesWritten += socket.bytesWritten;
    });
  }

  /** Scrape time: connections and network bytes (closed sockets' totals plus the live ones'). */
  collect(): void {
    let read = this.closedBytesRead;
    let written = this.closedBytesWritten;
    for (const socket of this.sockets) {
      read += socket.bytesRead;
      written += socket.bytesWritten;
    }
    this.defs.connections.labels(this.name).set(this.sockets.size);
    setCounter(this.defs.networkReceived, this.name, read);
    setCounter(this.defs.networkSent, this.name, written);
  }
}

/** Counters computed from totals kept elsewhere: prom-client has no set() on a counter. */
function setCounter(counter: Counter<'protocol'>, protocol: string, total: number): void {
  counter.remove(protocol);
  counter.labels(protocol).inc(total);
}

export class LiveBrokerMetrics implements BrokerMetrics {
  readonly isEnabled = true;
  private readonly defs: MetricDefinitions;
  /** `topic\0partition` -> recorder. */
  private readonly partitions = new Map<string, { topic: string; partition: number; metrics: LivePartitionMetrics }>();
  private readonly protocols = new Map<string, LiveProtocolMetrics>();

  constructor(defs: MetricDefinitions) {
    this.defs = defs;
  }

  partition(topic: string, partition: number): PartitionMetrics {
    const key = `${topic}\0${partition}`;
    let entry = this.partitions.get(key);
    if (entry === undefined) {
      entry = { topic, partition, metrics: new LivePartitionMetrics(this.defs, topic, String(partition)) };
      this.partitions.set(key, entry);
    }
    return entry.metrics;
  }

  protocol(name: string): ProtocolMetrics {
    let metrics = this.protocols.get(name);
    if (metrics === undefined) {
      metrics = new LiveProtocolMetrics(this.defs, name);
      this.protocols.set(name, metrics);
    }
    return metrics;
  }

  retainPartitions(exists: (topic: string, partition: number) => boolean): void {
    const goneTopics = new Set<string>();
    for (const [key, { topic, partition }] of this.partitions) {
      if (exists(topic, partition)) continue;
      this.partitions.delete(key);
      goneTopics.add(topic);
      const labels = [topic, String(partition)];
      for (const counter of [this.defs.recordsIn, this.defs.bytesIn, this.defs.recordsOut, this.defs.bytesOut]) counter.remove(...labels);
    }
    for (const { topic } of this.partitions.values()) goneTopics.delete(topic);
    for (const topic of goneTopics) this.defs.endToEnd.remove(topic);
  }

  collect(): void {
    for (const protocol of this.protocols.values()) protocol.collect();
  }
}
