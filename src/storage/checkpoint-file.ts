import { ErrorCode, FerryError } from '../common/errors.ts';
import type { FileSystem } from './types.ts';

/**
 * Kafka's checkpoint text format: a version line, a count line, then one entry per line with
 * space-separated fields. Small, human-readable, replaced atomically (writeFileAtomic).
 */
const VERSION = 0;
/** A checkpoint never needs more; a larger file is garbage, not something to parse. */
const MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024;

export type CheckpointEntry = readonly (string | number)[];

export function encodeCheckpoint(entries: readonly CheckpointEntry[]): Buffer {
  const lines = [String(VERSION), String(entries.length)];
  for (const entry of entries) lines.push(entry.join(' '));
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

function corrupt(filePath: string, why: string): FerryError {
  return new FerryError(ErrorCode.CORRUPT_MESSAGE, `checkpoint ${filePath} is corrupt: ${why}`, { file: filePath });
}

/** Parses a checkpoint; every entry has exactly `fieldCount` fields. Throws CORRUPT_MESSAGE. */
export function decodeCheckpoint(filePath: string, data: Buffer, fieldCount: number): string[][] {
  if (data.length > MAX_CHECKPOINT_BYTES) throw corrupt(filePath, `${data.length} bytes`);
  const lines = data.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length < 2) throw corrupt(filePath, 'missing header');
  if (lines[0] !== String(VERSION)) throw corrupt(filePath, `unknown version ${JSON.stringify(lines[0]?.slice(0, 20))}`);
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count < 0 || count !== lines.length - 2) {
    throw corrupt(filePath, `count line says ${JSON.stringify(lines[1]?.slice(0, 20))} but ${lines.length - 2} entries follow`);
  }
  const entries: string[][] = [];
  for (let i = 2; i < lines.length; i++) {
    const fields = lines[i]!.split(' ');
    if (fields.length !== fieldCount || fields.some((field) => field === '')) throw corrupt(filePath, `line ${i + 1} is malformed`);
    entries.push(fields);
  }
  return entries;
}

/** A safe integer written in decimal, or NaN for anything else. */
export function parseCheckpointNumber(text: string): number {
  if (!/^-?\d{1,16}$/.test(text)) return Number.NaN;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : Number.NaN;
}

/** Reads a checkpoint; null when the file does not exist. Throws CORRUPT_MESSAGE if malformed. */
export async function readCheckpoint(fs: FileSystem, filePath: string, fieldCount: number): Promise<string[][] | null> {
  let data: Buffer;
  try {
    data = await fs.readFile(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return decodeCheckpoint(filePath, data, fieldCount);
}

export function writeCheckpoint(fs: FileSystem, filePath: string, entries: readonly CheckpointEntry[]): Promise<void> {
  return fs.writeFileAtomic(filePath, encodeCheckpoint(entries));
}
