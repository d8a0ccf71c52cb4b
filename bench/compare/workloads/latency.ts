/**
 * Workload 4: publish-to-delivery latency at a fixed rate (2,000 and 20,000 records/s), one
 * producer and one acknowledging consumer. The producer wakes about every millisecond and sends
 * what the schedule says is due, stamped with the send time, so the percentiles include the
 * system's confirm and delivery path but not a backlog the bench built up itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Workload } from '../types.ts';
import { DeliveryCounter, metered, stampedBatch } from './common.ts';

export const LATENCY_RATES = [2_000, 20_000] as const;

export const latencyWorkload: Workload = {
  name: 'latency',
  variants: (settings) =>
    LATENCY_RATES.map((rate) => ({
      label: `${rate.toLocaleString('en-US')}/s`,
      // Longer than the throughput runs: in 2 s at 2,000/s the p99 is the 40th worst of 4,000
      // deliveries, so one scheduling hiccup of any system decides it.
      settings: { ...settings, ratePerSecond: rate, durationMs: settings.latencyDurationMs },
    })),
  async run(system, settings, runId) {
    const channel = await system.channel(`latency-${runId}`, 'stream', 1);
    const counter = new DeliveryCounter(Math.ceil((settings.ratePerSecond * settings.durationMs) / 1000) + 1000);
    const subscription = await channel.subscribe('g0', counter.onDelivery);
    const publisher = await channel.publisher();
    try {
      return await metered(system, settings.recordBytes, async () => {
        // Unconfirmed records allowed before the producer skips ticks: one second's worth.
        const maxUnconfirmed = settings.ratePerSecond;
        const started = performance.now();
        let sent = 0;
        let confirmed = 0;
        let skippedTicks = 0;
        let failedRecords = 0;
        let firstFailure = '';
        const pending = new Set<Promise<void>>();
        for (let elapsed = 0; elapsed < settings.durationMs; elapsed = performance.now() - started) {
          const due = Math.floor((elapsed * settings.ratePerSecond) / 1000) - sent;
          if (due > 0 && sent - confirmed < maxUnconfirmed) {
            sent += due;
            const sending: Promise<void> = publisher.publish(stampedBatch(settings.recordBytes, due)).then(
              () => {
                confirmed += due;
                pending.delete(sending);
              },
              (error: unknown) => {
                // A publish the system refused or timed out: counted and reported, never delivered.
                failedRecords += due;
                firstFailure ||= (error as Error).message;
                pending.delete(sending);
              },
            );
            pending.add(sending);
          } else if (due > 0) {
            skippedTicks++;
          }
          await sleep(1);
        }
        await Promise.all(pending);
        const isDrained = await counter.waitFor(sent - failedRecords, settings.drainTimeoutMs);
        const seconds = ((isDrained ? counter.lastAt : performance.now()) - started) / 1000;
        const notes: string[] = [];
        if (!isDrained) notes.push(`consumer got ${counter.count} of ${sent}`);
        if (failedRecords > 0) notes.push(`${failedRecords} records not confirmed (${firstFailure})`);
        if (skippedTicks > 0) notes.push(`confirms fell behind the rate (${skippedTicks} ticks skipped)`);
        return { records: counter.count, seconds, latency: counter.percentiles(), note: notes.join('; ') || undefined };
      });
    } finally {
      await publisher.close().catch(() => {});
      await subscription.close().catch(() => {});
      await channel.drop().catch(() => {});
    }
  },
};
