/**
 * Names of everything storage keeps on disk (Kafka's layout, so operators find their way):
 *
 *   <dataDir>/<topic>-<partition>/00000000000000001234.log        batches, base offset 1234
 *   <dataDir>/<topic>-<partition>/00000000000000001234.index      relative offset -> position
 *   <dataDir>/<topic>-<partition>/00000000000000001234.timeindex  timestamp -> relative offset
 *   <dataDir>/<topic>-<partition>/leader-epoch-checkpoint
 *   <dataDir>/<topic>-<partition>/log-start-offset-checkpoint
 *   <dataDir>/recovery-point-offset-checkpoint
 *   <dataDir>/.clean-shutdown
 */
export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const CLEAN_SHUTDOWN_MARKER = '.clean-shutdown';
/** A log dir being removed: renamed first so a crash mid-removal never leaves a half log. */
export const DELETING_DIR_SUFFIX = '.deleting';

const OFFSET_DIGITS = 20;
const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;
const LOG_DIR = /^(.+)-(\d{1,10})$/;
/** Kafka's legal topic names: no path separators, no dot-only names. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
/** What writeFileAtomic leaves behind if the process dies between write and rename. */
const TEMP_FILE = /\.tmp(-[\w-]*)?$/;

export const MAX_PARTITION = 0x7fff_ffff;

export type SegmentFileKind = 'log' | 'index' | 'timeindex';

export function segmentFileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(OFFSET_DIGITS, '0')}${suffix}`;
}

export function parseSegmentFileName(name: string): { baseOffset: number; kind: SegmentFileKind } | null {
  const match = SEGMENT_FILE.exec(name);
  if (match === null) return null;
  const baseOffset = Number(match[1]);
  if (!Number.isSafeInteger(baseOffset)) return null;
  return { baseOffset, kind: match[2] as SegmentFileKind };
}

export function isTempFileName(name: string): boolean {
  return TEMP_FILE.test(name);
}

export function isValidTopicName(topic: string): boolean {
  return TOPIC_NAME.test(topic) && topic !== '.' && topic !== '..';
}

export function isValidPartition(partition: number): boolean {
  return Number.isSafeInteger(partition) && partition >= 0 && partition <= MAX_PARTITION;
}

export function logDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Topics may contain '-', so the partition is what follows the last one. */
export function parseLogDirName(name: string): { topic: string; partition: number } | null {
  const match = LOG_DIR.exec(name);
  if (match === null) return null;
  const topic = match[1]!;
  const partition = Number(match[2]);
  if (!isValidTopicName(topic) || !isValidPartition(partition)) return null;
  if (String(partition) !== match[2]) return null; // "t-007" is not a name we would write
  return { topic, partition };
}
