/** Every system the comparison knows, in table order: Ferry's two durability settings first. */
import type { SystemAdapter } from '../types.ts';
import { ferryAdapter } from './ferry.ts';
import { mosquittoAdapter } from './mosquitto.ts';
import { natsAdapter } from './nats.ts';
import { rabbitmqAdapter } from './rabbitmq.ts';
import { redisAdapter } from './redis.ts';

export function allSystems(): SystemAdapter[] {
  return [
    ferryAdapter('always'),
    ferryAdapter('none'),
    rabbitmqAdapter('classic'),
    rabbitmqAdapter('quorum'),
    natsAdapter(),
    redisAdapter('everysec'),
    redisAdapter('always'),
    mosquittoAdapter(),
  ];
}
