/** Workload 3: a work queue, 4 competing consumers acknowledging each record. */
import type { Workload } from '../types.ts';
import { runFlow } from './flow.ts';

export const QUEUE_CONSUMERS = 4;

export const queueWorkload: Workload = {
  name: 'queue',
  variants: (settings) => [{ label: `${QUEUE_CONSUMERS} consumers`, settings }],
  run: (system, settings, runId) =>
    runFlow(system, settings, `queue-${runId}`, { kind: 'queue', groups: 1, consumersPerGroup: QUEUE_CONSUMERS }),
};
