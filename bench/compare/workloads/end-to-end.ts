/** Workload 2: one producer and one consumer together, the consumer acknowledging each record. */
import type { Workload } from '../types.ts';
import { runFlow } from './flow.ts';

export const endToEndWorkload: Workload = {
  name: 'end-to-end',
  variants: (settings) => [{ label: '1 KiB', settings }],
  run: (system, settings, runId) => runFlow(system, settings, `e2e-${runId}`, { kind: 'stream', groups: 1, consumersPerGroup: 1 }),
};
