import type { FerryClient } from '../../client/index.ts';
import { ErrorCode, isFerryError } from '../../common/errors.ts';

/** Creates the bench topic with `partitions` partitions, or uses it as it is if it exists. */
export async function ensureBenchTopic(client: FerryClient, topic: string, partitions: number): Promise<number> {
  const admin = client.admin();
  try {
    const created = await admin.createTopic({ name: topic, partitions });
    return created.partitions.length;
  } catch (error) {
    if (!isFerryError(error) || error.code !== ErrorCode.TOPIC_ALREADY_EXISTS) throw error;
    const existing = await admin.describeTopic(topic);
    if (existing.partitions.length !== partitions) {
      process.stderr.write(`note: topic ${topic} exists with ${existing.partitions.length} partition(s); using it as it is\n`);
    }
    return existing.partitions.length;
  }
}
