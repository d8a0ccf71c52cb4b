import { ErrorCode, FerryError } from '../common/errors.ts';
import { metadataApi } from '../protocols/native/apis/metadata.ts';
import type { Channel } from './channel.ts';

/** How long a topic's partition count is trusted before it is looked up again (new partitions). */
const METADATA_MAX_AGE_MS = 30_000;

interface Entry {
  partitionCount: number;
  fetchedAtMs: number;
}

/**
 * Partition counts of the topics a producer or consumer uses, fetched with Metadata on first use
 * and refreshed after `METADATA_MAX_AGE_MS` or on demand (UNKNOWN_TOPIC_OR_PARTITION). Lookups
 * for many topics at once share one request.
 */
export class TopicMetadata {
  private readonly channel: Channel;
  private readonly allowAutoTopicCreation: boolean;
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<number>>();

  /** `allowAutoTopicCreation`: producers ask the broker to create missing topics (when its
   *  auto.create.topics.enable allows); consumers do not. */
  constructor(channel: Channel, options: { allowAutoTopicCreation: boolean }) {
    this.channel = channel;
    this.allowAutoTopicCreation = options.allowAutoTopicCreation;
  }

  /** The cached count, or undefined when unknown or stale (then call `partitionCount`). */
  cachedPartitionCount(topic: string, nowMs: number): number | undefined {
    const entry = this.entries.get(topic);
    if (!entry || nowMs - entry.fetchedAtMs > METADATA_MAX_AGE_MS) return undefined;
    return entry.partitionCount;
  }

  partitionCount(topic: string): Promise<number> {
    const cached = this.cachedPartitionCount(topic, Date.now());
    if (cached !== undefined) return Promise.resolve(cached);
    return this.refresh(topic);
  }

  /** Looks the topic up now (deduplicated while one lookup is running). */
  refresh(topic: string): Promise<number> {
    let pending = this.inFlight.get(topic);
    if (!pending) {
      pending = this.lookup(topic).finally(() => this.inFlight.delete(topic));
      this.inFlight.set(topic, pending);
    }
    return pending;
  }

  invalidate(topic: string): void {
    this.entries.delete(topic);
  }

  private async lookup(topic: string): Promise<number> {
    const response = await this.channel.request(
      metadataApi,
      { topics: [topic], allowAutoTopicCreation: this.allowAutoTopicCreation },
      { retries: 3 },
    );
    const found = response.topics.find((t) => t.name === topic);
    if (!found) throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic} not in the metadata answer`);
    if (found.error) throw found.error;
    if (found.partitions.length === 0) throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic} has no partitions`);
    this.entries.set(topic, { partitionCount: found.partitions.length, fetchedAtMs: Date.now() });
    return found.partitions.length;
  }
}
