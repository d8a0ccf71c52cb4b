import { GROUP_ROUTES } from './handlers/groups.ts';
import { PRODUCE_ROUTES } from './handlers/produce.ts';
import { QUEUE_ROUTES } from './handlers/queues.ts';
import type { Route } from './handlers/route.ts';
import { TOPIC_ROUTES } from './handlers/topics.ts';

export type { SessionContext } from './handlers/route.ts';

/** Api key -> route, for every API but Hello (the session answers Hello itself). */
export const ROUTES: ReadonlyMap<number, Route> = new Map(
  [...TOPIC_ROUTES, ...PRODUCE_ROUTES, ...GROUP_ROUTES, ...QUEUE_ROUTES].map((entry): [number, Route] => [entry.spec.key, entry]),
);
