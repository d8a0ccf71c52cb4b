import type { BrokerApi } from '../../broker/types.ts';

/**
 * Topic id -> name, for the request versions that name topics by id (Fetch v13+, Metadata v10+,
 * DeleteTopics v6). The broker is asked by name only, so the index is rebuilt from the topic list
 * on a miss, at most once per `minRefreshIntervalMs`: a client sending random ids costs one
 * rebuild per interval, not one per request. Bounded by the number of topics.
 */
export class TopicIdIndex {
  private readonly broker: BrokerApi;
  private readonly minRefreshIntervalMs: number;
  private readonly names = new Map<string, string>();
  private lastRefreshMs = Number.NEGATIVE_INFINITY;

  constructor(broker: BrokerApi, minRefreshIntervalMs: number) {
    this.broker = broker;
    this.minRefreshIntervalMs = minRefreshIntervalMs;
  }

  /** The topic's name, or undefined when no topic has this id. */
  nameOf(topicId: string): string | undefined {
    const known = this.names.get(topicId);
    // Checked against the broker: a topic deleted and created again under its name has a new id,
    // and the old id must not reach it.
    if (known !== undefined && this.idOf(known) === topicId) return known;
    const now = performance.now();
    if (now - this.lastRefreshMs < this.minRefreshIntervalMs) return undefined;
    this.lastRefreshMs = now;
    this.rebuild();
    return this.names.get(topicId);
  }

  remember(name: string, topicId: string): void {
    this.names.set(topicId, name);
  }

  private idOf(name: string): string | undefined {
    try {
      return this.broker.describeTopic(name).topicId;
    } catch {
      return undefined;
    }
  }

  private rebuild(): void {
    this.names.clear();
    for (const topic of this.broker.listTopics({ includeInternal: true })) {
      try {
        this.names.set(this.broker.describeTopic(topic.name).topicId, topic.name);
      } catch {
        // Deleted between list and describe: it simply has no id any more.
      }
    }
  }
}
