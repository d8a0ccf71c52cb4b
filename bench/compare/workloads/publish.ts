/** Workload 1: publish throughput, one producer, durable confirms, pipelined. No consumer. */
import type { Workload } from '../types.ts';
import { metered, publishFor, stampedBatch } from './common.ts';

export const publishWorkload: Workload = {
  name: 'publish',
  variants: (settings) => [
    { label: '100 B', settings: { ...settings, recordBytes: 100 } },
    { label: '1 KiB', settings: { ...settings, recordBytes: 1024 } },
  ],
  async run(system, settings, runId) {
    const channel = await system.channel(`publish-${runId}`, 'stream', 0);
    const publisher = await channel.publisher();
    try {
      // One confirmed batch first: connection setup and topic metadata are not throughput.
      await publisher.publish(stampedBatch(settings.recordBytes, settings.batchRecords));
      return await metered(system, settings.recordBytes, () => publishFor([publisher], settings));
    } finally {
      await publisher.close().catch(() => {});
      await channel.drop().catch(() => {});
    }
  },
};
