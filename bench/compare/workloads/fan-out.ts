/** Workload 5: one producer, 10 subscriptions that each receive every record. The figure counts
 *  deliveries summed over the subscriptions. */
import type { Workload } from '../types.ts';
import { runFlow } from './flow.ts';

export const FAN_OUT_SUBSCRIPTIONS = 10;

export const fanOutWorkload: Workload = {
  name: 'fan-out',
  variants: (settings) => [{ label: `${FAN_OUT_SUBSCRIPTIONS} subs`, settings }],
  run: (system, settings, runId) =>
    runFlow(system, settings, `fanout-${runId}`, { kind: 'stream', groups: FAN_OUT_SUBSCRIPTIONS, consumersPerGroup: 1 }),
};
