import { nextOffsetAfter } from '../common/record-batch-header.ts';
import type { OffsetsLog } from './groups/offsets-log.ts';
import type { Partition } from './partition.ts';
import { appendAndPublish, type ProduceContext } from './produce.ts';

/** Bytes read per step when the coordinator replays the topic at start. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * The group coordinator's OffsetsLog over partition 0 of `__consumer_offsets`: appends go through
 * the broker's append path (durable under the topic's flush policy, then visible to fetches of
 * the topic), and readAll replays everything below the high watermark in whole batches.
 */
export class ConsumerOffsetsLog implements OffsetsLog {
  private readonly partition: Partition;
  private readonly ctx: ProduceContext;

  constructor(partition: Partition, ctx: ProduceContext) {
    this.partition = partition;
    this.ctx = ctx;
  }

  async append(batch: Buffer): Promise<void> {
    await appendAndPublish(this.partition, batch, this.ctx);
  }

  async *readAll(): AsyncIterable<Buffer> {
    const log = this.partition.log;
    const endOffset = log.highWatermark;
    let offset = log.logStartOffset;
    while (offset < endOffset) {
      const { data } = await log.read(offset, READ_CHUNK_BYTES, { maxOffset: endOffset });
      if (data.length === 0) return;
      const next = nextOffsetAfter(data) ?? offset;
      yield data;
      if (next <= offset) return;
      offset = next;
    }
  }
}
