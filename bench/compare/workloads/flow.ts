/**
 * The producer-and-consumers shape shared by end-to-end, queue and fan-out: consumers start
 * first, one producer publishes pipelined for the duration, and the figure is delivered records
 * over the time from the first publish to the last delivery (consumers acknowledging each).
 */
import type { ChannelKind, Measurement, RunningSystem, Subscription, WorkloadSettings } from '../types.ts';
import { DeliveryCounter, metered, publishFor } from './common.ts';

export interface FlowShape {
  kind: ChannelKind;
  /** Consumer groups; each gets every record. */
  groups: number;
  /** Consumers per group, competing for its records. */
  consumersPerGroup: number;
}

export async function runFlow(
  system: RunningSystem,
  settings: WorkloadSettings,
  channelName: string,
  shape: FlowShape,
): Promise<Measurement> {
  const channel = await system.channel(channelName, shape.kind, shape.groups);
  // Sample every delivery's latency up to 200k; with fan-out that is all groups together.
  const counter = new DeliveryCounter(200_000, Math.max(1, Math.ceil(shape.groups / 2)));
  const subscriptions: Subscription[] = [];
  for (let group = 0; group < shape.groups; group++) {
    for (let i = 0; i < shape.consumersPerGroup; i++) subscriptions.push(await channel.subscribe(`g${group}`, counter.onDelivery));
  }
  const publisher = await channel.publisher();
  try {
    return await metered(system, settings.recordBytes, async () => {
      const started = performance.now();
      const published = await publishFor([publisher], settings);
      const expected = published.records * shape.groups;
      const isDrained = await counter.waitFor(expected, settings.drainTimeoutMs);
      const seconds = ((isDrained ? counter.lastAt : performance.now()) - started) / 1000;
      return {
        records: counter.count,
        seconds,
        latency: counter.percentiles(),
        note: isDrained ? undefined : `consumers got ${counter.count} of ${expected} within the drain timeout`,
      };
    });
  } finally {
    await publisher.close().catch(() => {});
    for (const subscription of subscriptions) await subscription.close().catch(() => {});
    await channel.drop().catch(() => {});
  }
}
