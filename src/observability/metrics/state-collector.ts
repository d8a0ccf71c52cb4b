import { statfs } from 'node:fs/promises';
import type { MetricDefinitions } from './definitions.ts';

/** One partition as the broker describes it at scrape time. */
export interface PartitionState {
  topic: string;
  partition: number;
  logStartOffset: number;
  logEndOffset: number;
  sizeBytes: number;
  isOffline: boolean;
}

export interface GroupLagState {
  group: string;
  topic: string;
  /** Summed over the topic's partitions the group has offsets for. */
  lag: number;
}

export interface SubscriptionMetricsState {
  topic: string;
  subscription: string;
  backlog: number;
  inFlight: number;
  redeliveries: number;
  deadLettered: number;
  oldestUnackedAgeMs: number;
}

/**
 * What the collector reads at scrape time. The server implements it over the broker, so this
 * layer never imports the broker (DESIGN.md section 2). Read-only and cheap: no log reads beyond
 * what describing a subscription costs.
 */
export interface BrokerStateSource {
  readonly dataDir: string;
  partitions(): Iterable<PartitionState>;
  groupLags(): Iterable<GroupLagState>;
  subscriptions(): Promise<Iterable<SubscriptionMetricsState>>;
}

/**
 * Sets the state gauges from the source. Gauges are reset first, so a deleted topic, group or
 * subscription disappears from the output instead of freezing at its last value.
 */
export async function collectState(defs: MetricDefinitions, source: BrokerStateSource): Promise<void> {
  // Read everything first, then swap: a scrape never sees half-reset gauges.
  const partitions = [...source.partitions()];
  const lags = [...source.groupLags()];
  const subscriptions = [...(await source.subscriptions())];
  const disk = await statfs(source.dataDir).catch(() => null);

  for (const gauge of [defs.logStartOffset, defs.logEndOffset, defs.sizeBytes]) gauge.reset();
  let offline = 0;
  for (const p of partitions) {
    const labels = [p.topic, String(p.partition)];
    if (p.isOffline) {
      offline++;
      continue;
    }
    defs.logStartOffset.labels(...labels).set(p.logStartOffset);
    defs.logEndOffset.labels(...labels).set(p.logEndOffset);
    defs.sizeBytes.labels(...labels).set(p.sizeBytes);
  }
  defs.partitionsOffline.set(offline);

  defs.groupLag.reset();
  for (const lag of lags) defs.groupLag.labels(lag.group, lag.topic).set(lag.lag);

  for (const metric of [defs.subscriptionBacklog, defs.subscriptionInFlight, defs.subscriptionOldestUnacked]) metric.reset();
  // Counters kept by the queue engine since start: copied, not added to.
  defs.subscriptionRedeliveries.reset();
  defs.subscriptionDeadLettered.reset();
  for (const s of subscriptions) {
    const labels = [s.topic, s.subscription];
    defs.subscriptionBacklog.labels(...labels).set(s.backlog);
    defs.subscriptionInFlight.labels(...labels).set(s.inFlight);
    defs.subscriptionOldestUnacked.labels(...labels).set(s.oldestUnackedAgeMs / 1000);
    defs.subscriptionRedeliveries.cell(s.topic, s.subscription).value = s.redeliveries;
    defs.subscriptionDeadLettered.cell(s.topic, s.subscription).value = s.deadLettered;
  }

  if (disk !== null) {
    defs.dataVolumeFree.set(disk.bavail * disk.bsize);
    defs.dataVolumeSize.set(disk.blocks * disk.bsize);
  }
}
