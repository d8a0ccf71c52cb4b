import path from 'node:path';
import { BATCH_HEADER_BYTES } from '../common/record-batch-header.ts';
import { parseCheckpointNumber, readCheckpoint, writeCheckpoint } from './checkpoint-file.ts';
import { DirSync } from './dir-sync.ts';
import {
  isTempFileName,
  LEADER_EPOCH_CHECKPOINT,
  LOG_START_OFFSET_CHECKPOINT,
  parseSegmentFileName,
  type SegmentFileKind,
} from './file-names.ts';
import { type EpochEntry, LeaderEpochCache } from './leader-epoch-cache.ts';
import { FerryPartitionLog, type LoadedLog, type PartitionLogEnv } from './partition-log.ts';
import { LogSegment, SegmentCorruptError } from './segment.ts';
import type { LogConfig } from './types.ts';

export interface LoadLogOptions {
  env: PartitionLogEnv;
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  /** The last clean shutdown left its marker: files were flushed and indexes written. */
  isCleanShutdown: boolean;
  /** From the recovery-point checkpoint: offsets below were on disk. null = unknown (check all). */
  recoveryPoint: number | null;
}

interface SegmentFiles {
  log: boolean;
  index: boolean;
  timeIndex: boolean;
}

/**
 * Opens a log directory (new or existing), recovering it as needed:
 * - leftovers of interrupted work (`*.tmp*`, `*.deleted`) are removed; unknown names are
 *   ignored with a warning; index files without their log are removed;
 * - after an unclean stop, every segment from the recovery point on is checked batch by batch
 *   (lengths, magic, CRC, offsets increasing) and its indexes rebuilt. A bad batch in the last
 *   segment is a torn write: the tail is cut there, with one warn line. In any other segment it
 *   is corruption (rolls sync closed segments, so a crash cannot tear them): the log opens
 *   offline, with one error line, and the rest of the broker carries on;
 * - missing index files are rebuilt now; present ones are sanity-checked when first loaded
 *   (the active segment's now) and rebuilt if they fail.
 */
export async function loadPartitionLog(options: LoadLogOptions): Promise<FerryPartitionLog> {
  const { env, dir, config } = options;
  const { fs, logger } = env;
  const dirSync = new DirSync(fs, dir);
  const settings = { indexIntervalBytes: config.indexIntervalBytes };
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await fs.mkdir(dir); // a new log: its name in the data dir is synced with its first flush
    names = [];
  }
  const files = await listSegmentFiles(options, names);
  // Checkpoints are read only when listed: 10,000 new logs cost no failed opens.
  const logStartOffset = names.includes(LOG_START_OFFSET_CHECKPOINT) ? await readLogStartOffset(options) : 0;
  const epochCache = new LeaderEpochCache(names.includes(LEADER_EPOCH_CHECKPOINT) ? await readEpochEntries(options) : []);

  const segments: LogSegment[] = [];
  for (const [baseOffset, present] of [...files].sort((a, b) => a[0] - b[0])) {
    segments.push(await LogSegment.open(env, dirSync, settings, baseOffset, { index: present.index, timeIndex: present.timeIndex }));
  }
  for (let i = 0; i + 1 < segments.length; i++) segments[i]!.nextOffset = segments[i + 1]!.baseOffset;

  let offline: LoadedLog['offline'];
  if (segments.length === 0) {
    segments.push(await LogSegment.create(env, dirSync, settings, logStartOffset));
  } else {
    offline = await recoverSegments(options, segments);
  }
  const active = segments.at(-1)!;
  if (offline === undefined) {
    const nowMs = env.now();
    if (active.rollBaseMs < 0 && !active.isEmpty) active.rollBaseMs = await active.readFirstTimestamp();
    if (active.rollBaseMs > nowMs || (active.rollBaseMs < 0 && !active.isEmpty)) active.rollBaseMs = nowMs;
  } else {
    active.isActive = true;
  }

  const endOffset = active.nextOffset;
  const startOffset = Math.min(Math.max(logStartOffset, segments[0]!.baseOffset), endOffset);
  if (offline === undefined && logStartOffset > startOffset) {
    // The checkpoint is past the end of what survived (a truncation below the start that a crash
    // interrupted): the start is where the log ends now, and must stay there once appends come.
    await writeCheckpoint(fs, path.join(dir, LOG_START_OFFSET_CHECKPOINT), [[startOffset]]);
  }
  const loaded: LoadedLog = {
    settings,
    segments,
    logStartOffset: startOffset,
    epochCache,
    recoveryPoint: endOffset,
    ...(offline === undefined ? {} : { offline }),
  };
  if (offline === undefined) {
    const trimmedEnd = epochCache.truncateFromEnd(endOffset);
    const trimmedStart = epochCache.truncateFromStart(startOffset);
    if (trimmedEnd || trimmedStart) {
      logger.info({ dir, entries: epochCache.entries.length }, 'leader epoch cache trimmed to the recovered log');
      const entries = epochCache.entries.map((entry) => [entry.epoch, entry.startOffset]);
      await writeCheckpoint(fs, path.join(dir, LEADER_EPOCH_CHECKPOINT), entries);
    }
  }
  return new FerryPartitionLog(env, options.topic, options.partition, dirSync, config, loaded);
}

async function listSegmentFiles(options: LoadLogOptions, names: readonly string[]): Promise<Map<number, SegmentFiles>> {
  const { env, dir } = options;
  const { logger } = env;
  const files = new Map<number, SegmentFiles>();
  const orphans: { name: string; baseOffset: number; kind: SegmentFileKind }[] = [];
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (parsed !== null) {
      orphans.push({ name, ...parsed });
      const entry = files.get(parsed.baseOffset) ?? { log: false, index: false, timeIndex: false };
      if (parsed.kind === 'log') entry.log = true;
      else if (parsed.kind === 'index') entry.index = true;
      else entry.timeIndex = true;
      files.set(parsed.baseOffset, entry);
    } else if (name === LEADER_EPOCH_CHECKPOINT || name === LOG_START_OFFSET_CHECKPOINT) {
      // ours
    } else if (isTempFileName(name) || name.endsWith('.deleted')) {
      await removeQuietly(options, name);
      logger.info({ file: path.join(dir, name) }, 'removed a leftover of interrupted work');
    } else {
      logger.warn({ file: path.join(dir, name) }, 'ignoring a file with an unexpected name in a log directory');
    }
  }
  for (const orphan of orphans) {
    if (files.get(orphan.baseOffset)?.log === true || orphan.kind === 'log') continue;
    await removeQuietly(options, orphan.name);
    logger.warn({ file: path.join(dir, orphan.name) }, 'removed an index file whose log segment is missing');
  }
  for (const [baseOffset, entry] of files) if (!entry.log) files.delete(baseOffset);
  return files;
}

async function removeQuietly(options: LoadLogOptions, name: string): Promise<void> {
  try {
    await options.env.fs.unlink(path.join(options.dir, name));
  } catch (error) {
    options.env.logger.warn({ file: path.join(options.dir, name), err: error }, 'could not remove a file');
  }
}

async function readLogStartOffset(options: LoadLogOptions): Promise<number> {
  const filePath = path.join(options.dir, LOG_START_OFFSET_CHECKPOINT);
  try {
    const entries = await readCheckpoint(options.env.fs, filePath, 1);
    if (entries === null) return 0;
    const offset = entries.length === 1 ? parseCheckpointNumber(entries[0]![0]!) : Number.NaN;
    if (Number.isSafeInteger(offset) && offset >= 0) return offset;
    options.env.logger.warn({ file: filePath }, 'log start offset checkpoint holds no valid offset: ignoring it');
  } catch (error) {
    options.env.logger.warn({ file: filePath, err: error }, 'log start offset checkpoint is unreadable: ignoring it');
  }
  return 0;
}

async function readEpochEntries(options: LoadLogOptions): Promise<EpochEntry[]> {
  const filePath = path.join(options.dir, LEADER_EPOCH_CHECKPOINT);
  try {
    const entries = await readCheckpoint(options.env.fs, filePath, 2);
    if (entries === null) return [];
    const parsed = entries.map(([epoch, startOffset]) => ({
      epoch: parseCheckpointNumber(epoch!),
      startOffset: parseCheckpointNumber(startOffset!),
    }));
    if (parsed.every((entry) => entry.epoch >= 0 && entry.startOffset >= 0)) return parsed;
    options.env.logger.warn({ file: filePath }, 'leader epoch checkpoint holds invalid entries: ignoring it');
  } catch (error) {
    options.env.logger.warn({ file: filePath, err: error }, 'leader epoch checkpoint is unreadable: ignoring it');
  }
  return [];
}

/** Checks what needs checking; returns why the log must stay offline, if it must. */
async function recoverSegments(options: LoadLogOptions, segments: LogSegment[]): Promise<LoadedLog['offline']> {
  const lastIndex = segments.length - 1;
  let firstToCheck = segments.length;
  if (!options.isCleanShutdown) {
    const recoveryPoint = options.recoveryPoint;
    firstToCheck = 0;
    if (recoveryPoint !== null) {
      while (firstToCheck < lastIndex && segments[firstToCheck + 1]!.baseOffset <= recoveryPoint) firstToCheck++;
    }
  }
  // Closed segments below the recovery point: a roll never closes an empty segment, so one
  // without even a batch header lost its bytes; one whose index files are missing is rebuilt now.
  for (let i = 0; i < Math.min(firstToCheck, lastIndex); i++) {
    const segment = segments[i]!;
    if (segment.sizeBytes < BATCH_HEADER_BYTES) {
      return offlineFor(segment, {
        position: 0,
        nextOffset: segment.baseOffset,
        reason: `closed segment holds only ${segment.sizeBytes} bytes`,
      });
    }
    if (segment.hasIndexFile && segment.hasTimeIndexFile) continue;
    try {
      await segment.loadIndexes();
    } catch (error) {
      if (error instanceof SegmentCorruptError) return offlineFor(segment, error.scan);
      throw error;
    }
  }
  for (let i = firstToCheck; i < segments.length; i++) {
    const segment = segments[i]!;
    const next = segments[i + 1];
    if (next === undefined) segment.isActive = true;
    // Asked before the scan replaces them: index files that check out prove the log was synced.
    const wasSynced = next !== undefined && (await segment.hasTrustedIndexFiles());
    const result = await segment.rebuildIndexes(true);
    if (next === undefined) {
      if (result.stop !== 'end') await cutTornTail(options, segment, result.position, result.nextOffset, result.reason);
      continue;
    }
    // A closed segment. Offsets are dense from segment to segment (a roll starts the next at the
    // end offset), so it must end where the next begins.
    if (result.stop === 'end' && segment.nextOffset === next.baseOffset) {
      // Closed and past the recovery point from now on: its indexes must be on disk.
      await segment.persistIndexes(true);
      continue;
    }
    const reason =
      result.stop === 'end' ? `offsets end at ${segment.nextOffset - 1} but the next segment starts at ${next.baseOffset}` : result.reason;
    // Damage in a segment known to have reached the disk whole is corruption; so are offsets
    // running into the next segment.
    if (wasSynced || (result.stop === 'end' && segment.nextOffset > next.baseOffset)) return offlineFor(segment, { ...result, reason });
    // Otherwise it is the lost tail of a segment closed under `flush: none` whose background sync
    // a crash interrupted: cut it, and drop the segments written after it.
    if (result.stop !== 'end') await cutTornTail(options, segment, result.position, result.nextOffset, result.reason);
    const dropped = segments.splice(i + 1);
    for (let j = dropped.length - 1; j >= 0; j--) await dropped[j]!.deleteFiles();
    options.env.logger.warn(
      {
        file: segment.logPath,
        offset: segment.nextOffset,
        droppedSegments: dropped.map((later) => later.logPath),
        bytesDropped: dropped.reduce((sum, later) => sum + later.sizeBytes, 0),
      },
      'removed the segments written after a closed segment whose sync a crash interrupted',
    );
    segment.isActive = true;
    await segment.rebuildIndexes(false); // as the active segment now: no closing time entry
  }
  if (firstToCheck < segments.length) {
    // What a killed process left in the page cache is now checked; make it durable too, so the
    // recovery point can honestly move to the log end offset.
    await segments.at(-1)!.log.sync();
  }
  if (firstToCheck >= segments.length) {
    // Clean start: the active segment's indexes from their files, then the tail after them.
    const active = segments[lastIndex]!;
    let tail: Awaited<ReturnType<LogSegment['loadActiveTail']>>;
    try {
      tail = await active.loadActiveTail();
    } catch (error) {
      if (!(error instanceof SegmentCorruptError)) throw error;
      tail = error.scan;
    }
    if (tail.stop !== 'end') {
      // Damaged despite the clean shutdown (a disk fault, a hand): check it batch by batch.
      const result = await active.rebuildIndexes(true);
      if (result.stop !== 'end') {
        await cutTornTail(options, active, result.position, result.nextOffset, `${result.reason} (after a clean shutdown)`);
      }
    }
  }
  return undefined;
}

async function cutTornTail(options: LoadLogOptions, segment: LogSegment, position: number, offset: number, reason: string): Promise<void> {
  const bytesDropped = segment.sizeBytes - position;
  options.env.logger.warn({ file: segment.logPath, offset, position, bytesDropped, reason }, 'truncated a torn or corrupt tail of the log');
  await segment.log.truncate(position);
  await segment.log.sync();
  segment.sizeBytes = position;
  segment.nextOffset = offset;
}

function offlineFor(segment: LogSegment, scan: { position: number; nextOffset: number; reason: string }): LoadedLog['offline'] {
  return {
    reason: `corrupt closed segment ${segment.logPath}`,
    details: { file: segment.logPath, offset: scan.nextOffset, position: scan.position, reason: scan.reason },
  };
}
