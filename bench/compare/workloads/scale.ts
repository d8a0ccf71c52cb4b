/**
 * Workload 6: many topics with light traffic each. `topicCount` channels (one partition, queue
 * or stream each) are created, then every channel gets one record per round, a round every
 * ROUND_MS, through the system's one shared publishing connection, so the figures show what the
 * topics cost (broker CPU and RSS), not what 1,000 connections cost.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Publisher, RunningSystem, Workload } from '../types.ts';
import { metered, stampedBatch } from './common.ts';

export const ROUND_MS = 200;

/** The topics are created once per system and reused by every run, so each run measures the
 *  same `topicCount` topics (not 1,000, then 2,000, then 3,000). */
const created = new WeakMap<RunningSystem, { publishers: Publisher[]; createSeconds: number }>();

async function topicsOf(system: RunningSystem, topicCount: number): Promise<{ publishers: Publisher[]; createSeconds: number }> {
  const existing = created.get(system);
  if (existing && existing.publishers.length === topicCount) return existing;
  const createdAt = performance.now();
  const publishers: Publisher[] = [];
  for (let i = 0; i < topicCount; i++) {
    const channel = await system.channel(`scale-${i}`, 'stream', 0);
    publishers.push(await channel.publisher({ shared: true }));
  }
  const createSeconds = (performance.now() - createdAt) / 1000;
  // One unmeasured round: a client's first send to a topic looks up its metadata (Ferry's
  // producer, NATS, ...), which is setup, not the steady light traffic this workload measures.
  await Promise.all(publishers.map((publisher) => publisher.publish(stampedBatch(100, 1))));
  const topics = { publishers, createSeconds };
  created.set(system, topics);
  return topics;
}

export const scaleWorkload: Workload = {
  name: 'scale',
  needsFreshSystem: true,
  variants: (settings) => [{ label: `${settings.topicCount.toLocaleString('en-US')} topics`, settings: { ...settings, recordBytes: 100 } }],
  async run(system, settings) {
    const { publishers, createSeconds } = await topicsOf(system, settings.topicCount);
    return metered(system, settings.recordBytes, async () => {
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
  },
};
