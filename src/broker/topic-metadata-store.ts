import { join } from 'node:path';
import { crc32c } from '../common/crc32c.ts';
import { ErrorCode, FerryError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { FileSystem, StorageFile } from '../storage/types.ts';
import type { TopicConfigEntries } from './types.ts';

/** Directory of the broker's own metadata inside the data dir. Not a log directory: log
 *  directories are `<topic>-<partition>`, and this name has no partition suffix. */
export const METADATA_DIR_NAME = '__cluster_metadata';
const SNAPSHOT_FILE = 'topics.json';
export const JOURNAL_FILE = 'topics.journal';
const FILE_VERSION = 1;
/** Per record: int32 payload length, int32 CRC-32C of the payload, then the JSON payload. */
const RECORD_HEADER_BYTES = 8;
/** A topic record is a few hundred bytes (more with config overrides); a length beyond this is
 *  damage, not a record. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Default of BrokerConfig.metadataJournalMaxBytes. */
export const DEFAULT_METADATA_JOURNAL_MAX_BYTES = 1024 * 1024;

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

export interface TopicMetadataStoreOptions {
  logger?: Logger;
  /** The journal is folded into the snapshot once it grows past this many bytes. */
  maxJournalBytes?: number;
}

type JournalRecord = { put: StoredTopic } | { remove: string };

export function metadataDir(dataDir: string): string {
  return join(dataDir, METADATA_DIR_NAME);
}

/**
 * Topic metadata in `<dataDir>/__cluster_metadata/`: a snapshot `topics.json` (the whole list,
 * replaced atomically: temp file, fsync, rename, fsync dir) and a journal `topics.journal` of the
 * changes since, one CRC-checked record per change. A change is one small append and one
 * fdatasync, not a rewrite of every topic (1,000 creates rewrote ~100 MB and fsynced 2,000 times).
 *
 * Crash safety: a change is acknowledged after its record is synced, and only the last record
 * can be torn (appends wait for the previous sync), so a bad record that reaches the end of the
 * file (or is followed by zeros only) is an interrupted write: ignored with a warning naming the
 * file and offset, and cut off. A bad record with good bytes after it is damage and stops the
 * broker, as an unreadable snapshot does: starting without the topics would hide their data.
 * Records are whole topics or removals, so replaying a journal over a snapshot that already holds
 * its changes (a crash between writing the snapshot and emptying the journal) gives the same list.
 * A `topics.json` written by an older version (no journal) opens as the snapshot.
 */
export class TopicMetadataStore {
  private readonly fs: FileSystem;
  private readonly dataDir: string;
  private readonly dir: string;
  private readonly snapshotPath: string;
  readonly journalPath: string;
  private readonly logger: Logger | undefined;
  private readonly maxJournalBytes: number;
  private readonly topics = new Map<string, StoredTopic>();
  private journalBytes = 0;
  private journal: StorageFile | null = null;

  constructor(fs: FileSystem, dataDir: string, options: TopicMetadataStoreOptions = {}) {
    this.fs = fs;
    this.dataDir = dataDir;
    this.dir = metadataDir(dataDir);
    this.snapshotPath = join(this.dir, SNAPSHOT_FILE);
    this.journalPath = join(this.dir, JOURNAL_FILE);
    this.logger = options.logger;
    this.maxJournalBytes = options.maxJournalBytes ?? DEFAULT_METADATA_JOURNAL_MAX_BYTES;
  }

  /** Bytes of valid journal records (tests and the compaction bound). */
  get journalSizeBytes(): number {
    return this.journalBytes;
  }

  async load(): Promise<StoredTopic[]> {
    await this.fs.mkdir(this.dir);
    this.topics.clear();
    if (await this.fs.exists(this.snapshotPath)) {
      for (const topic of this.parseSnapshot(await this.fs.readFile(this.snapshotPath))) this.topics.set(topic.name, topic);
    }
    if (await this.fs.exists(this.journalPath)) {
      await this.replayJournal(await this.fs.readFile(this.journalPath));
    } else {
      // The journal's name, and the metadata directory's, must be durable before a record in
      // the journal is acknowledged (a power cut can drop unsynced directory entries).
      await (await this.fs.open(this.journalPath, 'create')).close();
      await this.fs.syncDir(this.dir);
      await this.fs.syncDir(this.dataDir);
    }
    if (this.journalBytes > this.maxJournalBytes) await this.compact();
    return [...this.topics.values()];
  }

  /** Closes the journal (a later change opens it again). */
  async close(): Promise<void> {
    const journal = this.journal;
    this.journal = null;
    await journal?.close();
  }

  /** Creates or replaces a topic's metadata (create, new partitions, config change). */
  put(topic: StoredTopic): Promise<void> {
    return this.append({ put: topic });
  }

  remove(name: string): Promise<void> {
    return this.append({ remove: name });
  }

  private async append(record: JournalRecord): Promise<void> {
    const payload = Buffer.from(JSON.stringify(record), 'utf8');
    const data = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
    data.writeUInt32BE(payload.length, 0);
    data.writeUInt32BE(crc32c(payload), 4);
    payload.copy(data, RECORD_HEADER_BYTES);
    // The journal stays open between changes: a create is then one write and one fdatasync.
    this.journal ??= await this.fs.open(this.journalPath, 'create');
    await this.journal.write(data, this.journalBytes);
    await this.journal.sync();
    // Only a synced record counts: a failed one is overwritten by the next append.
    this.journalBytes += data.length;
    this.apply(record);
    if (this.journalBytes > this.maxJournalBytes) await this.compact();
  }

  /** Folds the journal into a new snapshot, then empties the journal. */
  private async compact(): Promise<void> {
    const snapshot = Buffer.from(`${JSON.stringify({ version: FILE_VERSION, topics: [...this.topics.values()] }, null, 1)}\n`);
    await this.fs.writeFileAtomic(this.snapshotPath, snapshot);
    this.journal ??= await this.fs.open(this.journalPath, 'create');
    await this.journal.truncate(0);
    await this.journal.sync();
    this.logger?.info({ file: this.journalPath, bytes: this.journalBytes, topics: this.topics.size }, 'topic metadata journal compacted');
    this.journalBytes = 0;
  }

  private apply(record: JournalRecord): void {
    if ('put' in record) this.topics.set(record.put.name, record.put);
    else this.topics.delete(record.remove);
  }

  private async replayJournal(data: Buffer): Promise<void> {
    let at = 0;
    while (at < data.length) {
      const record = this.readRecord(data, at);
      if (typeof record === 'string') {
        const isTorn = record === 'past the end' || data.subarray(at).every((byte) => byte === 0);
        if (!isTorn) throw this.corrupt(this.journalPath, `record at offset ${at}: ${record}, with more records after it`);
        this.logger?.warn(
          { file: this.journalPath, offset: at, bytes: data.length - at, reason: record },
          'ignoring the torn last record of the topic metadata journal (a write interrupted by a crash); cutting it off',
        );
        const file = await this.fs.open(this.journalPath, 'readWrite');
        try {
          await file.truncate(at);
          await file.sync();
        } finally {
          await file.close();
        }
        break;
      }
      this.apply(record.record);
      at = record.next;
    }
    this.journalBytes = at;
  }

  /** The record at `at`, or why it is not one ('past the end' when it would run past the data). */
  private readRecord(data: Buffer, at: number): { record: JournalRecord; next: number } | string {
    if (data.length - at < RECORD_HEADER_BYTES) return 'past the end';
    const length = data.readUInt32BE(at);
    if (length === 0) return 'empty record';
    const next = at + RECORD_HEADER_BYTES + length;
    if (next > data.length) return 'past the end';
    if (length > MAX_RECORD_BYTES) return `bad length ${length}`;
    const payload = data.subarray(at + RECORD_HEADER_BYTES, next);
    if (crc32c(payload) !== data.readUInt32BE(at + 4)) {
      // A torn last record whose length field survived: nothing good can follow it.
      return next === data.length ? 'past the end' : 'CRC mismatch';
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      return 'not JSON';
    }
    const record = parsed as Partial<{ put: unknown; remove: unknown }> | null;
    if (record !== null && typeof record === 'object') {
      if (isStoredTopic(record.put)) return { record: { put: record.put }, next };
      if (typeof record.remove === 'string') return { record: { remove: record.remove }, next };
    }
    return 'unknown record';
  }

  private parseSnapshot(data: Buffer): StoredTopic[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString('utf8'));
    } catch (error) {
      throw this.corrupt(this.snapshotPath, 'it is not JSON', error);
    }
    const topics = (parsed as { version?: unknown; topics?: unknown } | null)?.topics;
    if ((parsed as { version?: unknown }).version !== FILE_VERSION || !Array.isArray(topics)) {
      throw this.corrupt(this.snapshotPath, 'unknown version or no topic list');
    }
    for (const topic of topics as unknown[]) {
      if (!isStoredTopic(topic)) throw this.corrupt(this.snapshotPath, `bad entry ${JSON.stringify(topic).slice(0, 200)}`);
    }
    return topics as StoredTopic[];
  }

  private corrupt(file: string, reason: string, cause?: unknown): FerryError {
    return new FerryError(ErrorCode.STORAGE_ERROR, `topic metadata ${file} is unreadable: ${reason}`, { file }, { cause });
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
