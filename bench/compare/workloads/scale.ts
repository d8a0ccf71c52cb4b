/**
 * Workload 6: many topics with light traffic each. `topicCount` channels (one partition, queue
 * or stream each) are created, then every channel gets one record per round, a round every
 * ROUND_MS, through the system's one shared publishing connection, so the figures show what the
 * topics cost (broker CPU and RSS), not what 1,000 connections cost.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Publisher, Workload } from '../types.ts';
import { metered, stampedBatch } from './common.ts';

export const ROUND_MS = 200;

export const scaleWorkload: Workload = {
  name: 'scale',
  variants: (settings) => [{ label: `${settings.topicCount.toLocaleString('en-US')} topics`, settings: { ...settings, recordBytes: 100 } }],
  async run(system, settings, runId) {
    const createdAt = performance.now();
    const publishers: Publisher[] = [];
    for (let i = 0; i < settings.topicCount; i++) {
      const channel = await system.channel(`scale-${runId}-${i}`, 'stream', 0);
      publishers.push(await channel.publisher({ shared: true }));
    }
    const createSeconds = (performance.now() - createdAt) / 1000;
    try {
      return await metered(system, settings.recordBytes, async () => {
        const started = performance.now();
        let records = 0;
        let lateRounds = 0;
        while (performance.now() - started < settings.durationMs) {
          const roundStarted = performance.now();
          await Promise.all(publishers.map((publisher) => publisher.publish(stampedBatch(settings.recordBytes, 1))));
          records += publishers.length;
          const left = ROUND_MS - (performance.now() - roundStarted);
          if (left > 0) await sleep(left);
          else lateRounds++;
        }
        const seconds = (performance.now() - started) / 1000;
        const notes = [`${settings.topicCount} topics created in ${createSeconds.toFixed(1)} s`];
        if (lateRounds > 0) notes.push(`${lateRounds} rounds took longer than ${ROUND_MS} ms`);
        return { records, seconds, note: notes.join('; ') };
      });
    } finally {
      for (const publisher of publishers) await publisher.close().catch(() => {});
    }
  },
};
