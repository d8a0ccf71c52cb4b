/** Every workload, in table order. */
import type { Workload } from '../types.ts';
import { endToEndWorkload } from './end-to-end.ts';
import { fanOutWorkload } from './fan-out.ts';
import { latencyWorkload } from './latency.ts';
import { publishWorkload } from './publish.ts';
import { queueWorkload } from './queue.ts';
import { scaleWorkload } from './scale.ts';

export const ALL_WORKLOADS: readonly Workload[] = [
  publishWorkload,
  endToEndWorkload,
  queueWorkload,
  latencyWorkload,
  fanOutWorkload,
  scaleWorkload,
];
