import { murmur2 } from '../../common/murmur2.ts';
import type { QueueConsumerHandle } from './consumer.ts';
import type { SubscriptionMode } from './types.ts';

/** Deliveries given to one shared consumer in a row before moving on: contiguous offsets make
 *  acks compress into ranges, and the run keeps fairness between consumers with credit. */
const SHARED_RUN = 64;

/**
 * Which consumer gets a record, per subscription mode. `consumers` is in join order and holds only
 * open consumers. A null answer means the record waits (no credit, or its key's consumer is busy).
 */
export interface Placement {
  pick(consumers: readonly QueueConsumerHandle[], key: Buffer | null): QueueConsumerHandle | null;
  /** The key a delivery must register (key_shared), as a string map key; null when not tracked. */
  keyId(key: Buffer | null): string | null;
  placed(consumer: QueueConsumerHandle, keyId: string | null): void;
  released(keyId: string | null): void;
  /** Keys currently held by in-flight records (bounded by the records in flight). */
  readonly trackedKeys: number;
}

/** shared: round-robin by availability. */
class SharedPlacement implements Placement {
  private index = 0;
  private run = 0;
  readonly trackedKeys = 0;

  pick(consumers: readonly QueueConsumerHandle[]): QueueConsumerHandle | null {
    const n = consumers.length;
    for (let tries = 0; tries <= n; tries++) {
      if (this.index >= n) this.index = 0;
      const consumer = consumers[this.index];
      if (consumer !== undefined && consumer.credit > 0 && this.run < SHARED_RUN) {
        this.run++;
        return consumer;
      }
      this.index++;
      this.run = 0;
    }
    return null;
  }

  keyId(): string | null {
    return null;
  }
  placed(): void {}
  released(): void {}
}

/** exclusive and failover: the first consumer in join order takes everything, in order. */
class ActiveConsumerPlacement implements Placement {
  readonly trackedKeys = 0;

  pick(consumers: readonly QueueConsumerHandle[]): QueueConsumerHandle | null {
    const active = consumers[0];
    return active !== undefined && active.credit > 0 ? active : null;
  }

  keyId(): string | null {
    return null;
  }
  placed(): void {}
  released(): void {}
}

interface KeyOwner {
  consumer: QueueConsumerHandle;
  inFlight: number;
}

/**
 * key_shared: a key is owned by one consumer while any record of it is in flight; a key with
 * nothing in flight goes to the consumer rendezvous hashing picks among those present (so a
 * joining or leaving consumer moves only the keys it wins or held). Records without a key are
 * spread like `shared`.
 */
class KeySharedPlacement implements Placement {
  private readonly owners = new Map<string, KeyOwner>();
  private readonly shared = new SharedPlacement();

  get trackedKeys(): number {
    return this.owners.size;
  }

  keyId(key: Buffer | null): string | null {
    return key === null ? null : key.toString('latin1');
  }

  pick(consumers: readonly QueueConsumerHandle[], key: Buffer | null): QueueConsumerHandle | null {
    if (key === null) return this.shared.pick(consumers);
    const owner = this.owners.get(key.toString('latin1'));
    const consumer = owner !== undefined ? owner.consumer : rendezvous(consumers, murmur2(key));
    return consumer !== null && consumer.credit > 0 ? consumer : null;
  }

  placed(consumer: QueueConsumerHandle, keyId: string | null): void {
    if (keyId === null) return;
    const owner = this.owners.get(keyId);
    if (owner === undefined) this.owners.set(keyId, { consumer, inFlight: 1 });
    else owner.inFlight++;
  }

  released(keyId: string | null): void {
    if (keyId === null) return;
    const owner = this.owners.get(keyId);
    if (owner === undefined) return;
    if (--owner.inFlight <= 0) this.owners.delete(keyId);
  }
}

/** Highest-random-weight choice: stable for a key while the consumer set is unchanged. */
function rendezvous(consumers: readonly QueueConsumerHandle[], keyHash: number): QueueConsumerHandle | null {
  let best: QueueConsumerHandle | null = null;
  let bestScore = -1;
  for (const consumer of consumers) {
    const score = mix32(keyHash ^ consumer.seed);
    if (score > bestScore) {
      bestScore = score;
      best = consumer;
    }
  }
  return best;
}

/** murmur3's fmix32: spreads the bits of an int32 into a uint32. */
function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function placementFor(mode: SubscriptionMode): Placement {
  switch (mode) {
    case 'shared':
      return new SharedPlacement();
    case 'key_shared':
      return new KeySharedPlacement();
    case 'exclusive':
    case 'failover':
      return new ActiveConsumerPlacement();
  }
}
