import { join } from 'node:path';
import { ErrorCode, FerryError } from '../common/errors.ts';
import type { FileSystem } from '../storage/types.ts';
import type { TopicConfigEntries } from './types.ts';

/** Directory of the broker's own metadata inside the data dir. Not a log directory: log
 *  directories are `<topic>-<partition>`, and this name has no partition suffix. */
export const METADATA_DIR_NAME = '__cluster_metadata';
const TOPICS_FILE = 'topics.json';
const FILE_VERSION = 1;

/** What survives a restart about one topic. */
export interface StoredTopic {
  name: string;
  topicId: string;
  partitionCount: number;
  /** Only the entries set on this topic (Kafka names, string values). */
  overrides: TopicConfigEntries;
  isInternal: boolean;
  createdAtMs: number;
}

export function metadataDir(dataDir: string): string {
  return join(dataDir, METADATA_DIR_NAME);
}

/**
 * Topic metadata in `<dataDir>/__cluster_metadata/topics.json`, replaced atomically (temp file,
 * fsync, rename, fsync dir) on every change, so a crash leaves the old or the new list, never a
 * torn one. A file that does not parse stops the broker: starting without the topics would hide
 * their data and let new topics take their names.
 */
export class TopicMetadataStore {
  private readonly fs: FileSystem;
  private readonly dir: string;
  private readonly path: string;

  constructor(fs: FileSystem, dataDir: string) {
    this.fs = fs;
    this.dir = metadataDir(dataDir);
    this.path = join(this.dir, TOPICS_FILE);
  }

  async load(): Promise<StoredTopic[]> {
    await this.fs.mkdir(this.dir);
    if (!(await this.fs.exists(this.path))) return [];
    const data = await this.fs.readFile(this.path);
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString('utf8'));
    } catch (error) {
      throw this.corrupt('it is not JSON', error);
    }
    const topics = (parsed as { version?: unknown; topics?: unknown } | null)?.topics;
    if ((parsed as { version?: unknown }).version !== FILE_VERSION || !Array.isArray(topics)) {
      throw this.corrupt('unknown version or no topic list');
    }
    for (const topic of topics as unknown[]) {
      if (!isStoredTopic(topic)) throw this.corrupt(`bad entry ${JSON.stringify(topic).slice(0, 200)}`);
    }
    return topics as StoredTopic[];
  }

  async save(topics: readonly StoredTopic[]): Promise<void> {
    const data = Buffer.from(`${JSON.stringify({ version: FILE_VERSION, topics }, null, 1)}\n`);
    await this.fs.writeFileAtomic(this.path, data);
  }

  private corrupt(reason: string, cause?: unknown): FerryError {
    return new FerryError(ErrorCode.STORAGE_ERROR, `topic metadata ${this.path} is unreadable: ${reason}`, { file: this.path }, { cause });
  }
}

function isStoredTopic(value: unknown): value is StoredTopic {
  if (typeof value !== 'object' || value === null) return false;
  const topic = value as Record<string, unknown>;
  return (
    typeof topic.name === 'string' &&
    typeof topic.topicId === 'string' &&
    Number.isSafeInteger(topic.partitionCount) &&
    (topic.partitionCount as number) >= 1 &&
    typeof topic.isInternal === 'boolean' &&
    Number.isSafeInteger(topic.createdAtMs) &&
    typeof topic.overrides === 'object' &&
    topic.overrides !== null &&
    Object.values(topic.overrides).every((entry) => typeof entry === 'string')
  );
}
