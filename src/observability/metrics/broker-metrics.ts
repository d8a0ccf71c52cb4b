import { BATCH_HEADER_BYTES, BatchField, batchSizeBytes, readInt64 } from '../../common/record-batch-header.ts';
import type { MetricDefinitions } from './definitions.ts';
import type { CounterCell, HistogramCell } from './fast-metrics.ts';
import type { BrokerMetrics, LatencyKinds, PartitionMetrics, ProtocolMetrics, TrackedSocket } from './recorder.ts';

/** Request names that are produce and fetch, per protocol; others feed no latency histogram. */
export const LATENCY_KINDS: Readonly<Record<string, LatencyKinds>> = {
  native: { produce: ['Produce'], fetch: ['Fetch'] },
  kafka: { produce: ['Produce'], fetch: ['Fetch'] },
};

class LivePartitionMetrics implements PartitionMetrics {
  private readonly recordsIn: CounterCell;
  private readonly bytesIn: CounterCell;
  private readonly recordsOut: CounterCell;
  private readonly bytesOut: CounterCell;
  private readonly endToEnd: HistogramCell;

  constructor(defs: MetricDefinitions, topic: string, partition: string) {
    this.recordsIn = defs.recordsIn.cell(topic, partition);
    this.bytesIn = defs.bytesIn.cell(topic, partition);
    this.recordsOut = defs.recordsOut.cell(topic, partition);
    this.bytesOut = defs.bytesOut.cell(topic, partition);
    this.endToEnd = defs.endToEnd.cell(topic);
  }

  appended(records: number, bytes: number): void {
    this.recordsIn.value += records;
    this.bytesIn.value += bytes;
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
    this.recordsOut.value += records;
    this.bytesOut.value += at;
  }

  delivered(records: number, bytes: number): void {
    this.recordsOut.value += records;
    this.bytesOut.value += bytes;
  }

  observeEndToEnd(ageMs: number): void {
    this.endToEnd.observe(ageMs > 0 ? ageMs / 1000 : 0);
  }
}

class LiveProtocolMetrics implements ProtocolMetrics {
  private readonly defs: MetricDefinitions;
  private readonly name: string;
  private readonly produceNames: ReadonlySet<string>;
  private readonly fetchNames: ReadonlySet<string>;
  private readonly produceLatency: HistogramCell;
  private readonly fetchLatency: HistogramCell;
  /** request -> error code -> counter; bounded by the protocol's API names x error codes. */
  private readonly requestCounters = new Map<string, Map<string, CounterCell>>();
  private readonly sockets = new Set<TrackedSocket>();
  private readonly received: CounterCell;
  private readonly sent: CounterCell;
  private closedBytesRead = 0;
  private closedBytesWritten = 0;

  constructor(defs: MetricDefinitions, name: string) {
    this.defs = defs;
    this.name = name;
    const kinds = LATENCY_KINDS[name] ?? { produce: [], fetch: [] };
    this.produceNames = new Set(kinds.produce);
    this.fetchNames = new Set(kinds.fetch);
    this.produceLatency = defs.produceLatency.cell(name);
    this.fetchLatency = defs.fetchLatency.cell(name);
    // Present from the start (0), so dashboards and rate() see the series before traffic.
    defs.connections.labels(name).set(0);
    this.received = defs.networkReceived.cell(name);
    this.sent = defs.networkSent.cell(name);
  }

  requestDone(request: string, errorCode: string, startedMs: number): void {
    // Two map lookups, no key string built per request.
    let byCode = this.requestCounters.get(request);
    if (byCode === undefined) {
      byCode = new Map();
      this.requestCounters.set(request, byCode);
    }
    let counter = byCode.get(errorCode);
    if (counter === undefined) {
      counter = this.defs.requests.cell(this.name, request, errorCode);
      byCode.set(errorCode, counter);
    }
    counter.value++;
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
    this.received.value = read;
    this.sent.value = written;
  }
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
