/**
 * Where the coordinator keeps what must survive a restart: committed offsets and group metadata,
 * as records of Kafka's `__consumer_offsets` formats (see offsets-codec.ts). The broker implements
 * it over the internal compacted topic `__consumer_offsets`; tests use an in-memory one.
 */
export interface OffsetsLog {
  /** Appends whole RecordBatch v2 buffers (one or more, back to back) and resolves once they are
   *  durable under the topic's flush policy. Appends resolve in the order they were called. */
  append(batch: Buffer): Promise<void>;
  /** Every batch stored so far, oldest first, as buffers of whole concatenated v2 batches. Read
   *  once by `GroupCoordinator.load()`: the latest value per key wins, a null value deletes. */
  readAll(): AsyncIterable<Buffer>;
}
