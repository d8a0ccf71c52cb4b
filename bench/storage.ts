/**
 * Storage throughput and latency, each figure next to a plain `node:fs` loop doing the same I/O.
 *
 *   npm run bench:storage -- [--quick] [--seconds N] [--repeat N] [--only TEXT[,TEXT...]] [--dir PATH]
 *                            [--segment-bytes N] [--sync-write-max-bytes N] [--no-json]
 *
 * Appends: 100 B and 1 KiB records, in batches of 16 KiB and 1 MiB, under flush `always`,
 * `interval` (100 ms) and `none`, with 1 and 64 concurrent appenders on one partition. Reads: the
 * written log read back by offset. Each case runs `--repeat` times (default 3); the table and the
 * JSON in bench/results/ give the median of each figure.
 *
 * Baselines (what "plain" means in each row). Both sides start from a fresh file in a fresh
 * directory, and each appender writes its own copy of the batch (Ferry stamps offsets into the
 * buffer it is given, so its appenders cannot share one; the plain side copies that layout).
 * - flush none / interval: appenders write their batch at the next file position with
 *   `FileHandle.write` (positions reserved in call order, as the log does); `interval` adds an
 *   fdatasync every 100 ms from a timer.
 * - flush always, 1 appender: write, fdatasync, repeat.
 * - flush always, 64 appenders: a plain group commit. Each producer writes its batch at once
 *   (its own `FileHandle.write` at a reserved position), then waits for an fdatasync that starts
 *   after its write completed: if none runs, one starts now; if one runs, it shares the next one,
 *   which covers every write completed meanwhile. So writes overlap the running sync and one sync
 *   acknowledges everything written while the previous one ran: the same coalescing opportunity a
 *   log has (each producer waits for its own sync before sending again, as an appender under
 *   `always` does), with nothing else in the way. A committer that gathers batches, writes them
 *   with one `writev` and only then syncs was tried first and is slower (writes stop while it
 *   syncs), so it would flatter Ferry.
 * - reads: a loop of positional `FileHandle.read`s of `maxBytes` over the same segment files, in
 *   two rows: into a fresh buffer per read (like for like: a server hands the bytes to a socket,
 *   and Ferry's read returns a buffer the caller keeps), and into one reused buffer (the plainest
 *   loop; an upper bound).
 *
 * Targets printed with each row: flush none with 1 MiB batches >= 80% of plain; flush always with
 * 64 appenders of 16 KiB batches >= 60% of the plain group-commit loop; reads >= 50% of plain.
 * Data lives in a temp dir on the same disk as the repository (not tmpfs), removed at the end.
 */
import { mkdirSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { preloadCrc32c } from '../src/common/crc32c.ts';
import { silentLogger } from '../src/common/logger.ts';
import {
  BATCH_HEADER_BYTES,
  BatchField,
  CURRENT_MAGIC,
  computeBatchCrc,
  readInt64,
  writeInt64,
} from '../src/common/record-batch-header.ts';
import { DEFAULT_LOG_CONFIG } from '../src/storage/log-config.ts';
import { openLogManager } from '../src/storage/log-manager.ts';
import { DEFAULT_SYNC_WRITE_MAX_BYTES, NodeFileSystem } from '../src/storage/node-file-system.ts';
import type { FlushPolicy, LogManager, PartitionLog } from '../src/storage/types.ts';

// ---------------------------------------------------------------------------------------------
// Options

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    repeat: { type: 'string' },
    only: { type: 'string' },
    dir: { type: 'string' },
    'segment-bytes': { type: 'string' },
    'sync-write-max-bytes': { type: 'string' },
    'no-json': { type: 'boolean', default: false },
  },
});

const isQuick = flags.quick === true;
const caseSeconds = Number(flags.seconds ?? (isQuick ? 0.5 : 2));
const repeat = Number(flags.repeat ?? (isQuick ? 1 : 3));
/** `--only a,b`: rows whose name contains any of the comma-separated texts. */
const onlyTexts = flags.only?.split(',').filter((text) => text.length > 0);
const isSelected = (name: string): boolean => onlyTexts === undefined || onlyTexts.some((text) => name.includes(text));
/** Ferry's segment size: the default rolls (and, under `none`, syncs the closed segment in the
 *  background) once per GiB, which a 1 GB/s run meets within its first second. */
const segmentBytes = Number(flags['segment-bytes'] ?? DEFAULT_LOG_CONFIG.segmentBytes);
/** Ferry's NodeFileSystem bound for writing small appends under `always` on the main thread
 *  (0 sends every write to the thread pool, as before that path existed). */
const syncWriteMaxBytes = Number(flags['sync-write-max-bytes'] ?? DEFAULT_SYNC_WRITE_MAX_BYTES);
const repoDir = path.resolve(import.meta.dirname, '..');

const RECORD_SIZES = [100, 1024] as const;
const BATCH_SIZES = [16 * 1024, 1024 * 1024] as const;
const CONCURRENCIES = [1, 64] as const;
const INTERVAL_MS = 100;
const FLUSHES: readonly { name: string; policy: FlushPolicy }[] = [
  { name: 'always', policy: { kind: 'always' } },
  { name: `interval:${INTERVAL_MS}ms`, policy: { kind: 'interval', intervalMs: INTERVAL_MS } },
  { name: 'none', policy: { kind: 'none' } },
];
const READ_MAX_BYTES = 1024 * 1024;
/** Reads cover at least this much data (the log from the append case is reused, or topped up). */
const READ_DATA_BYTES = isQuick ? 64 * 1024 * 1024 : 256 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Where the data goes: the repository's disk, never tmpfs (a tmpfs fsync costs nothing).

const TMPFS_MAGIC = 0x01021994;

function benchRoot(): string {
  const candidates = flags.dir !== undefined ? [flags.dir] : [os.tmpdir(), path.join(repoDir, 'bench', '.tmp')];
  const repoDevice = statSync(repoDir).dev;
  for (const candidate of candidates) {
    mkdirSync(candidate, { recursive: true });
    const isTmpfs = statfsSync(candidate).type === TMPFS_MAGIC;
    if (!isTmpfs && (flags.dir !== undefined || statSync(candidate).dev === repoDevice)) return candidate;
  }
  throw new Error(`no directory on the repository's disk for bench data (tried ${candidates.join(', ')})`);
}

// ---------------------------------------------------------------------------------------------
// Batches: one valid v2 batch of about `batchBytes`, made of `recordBytes`-sized records.

function writeVarint(buf: Buffer, value: number, at: number): number {
  let rest = value >= 0 ? value * 2 : -value * 2 - 1;
  while (rest >= 0x80) {
    buf[at++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 128);
  }
  buf[at++] = rest;
  return at;
}

interface BenchBatch {
  bytes: Buffer;
  recordCount: number;
}

function buildBatch(recordBytes: number, batchBytes: number): BenchBatch {
  const buf = Buffer.alloc(batchBytes);
  const value = Buffer.alloc(recordBytes, 0x61);
  const body = Buffer.alloc(recordBytes + 32);
  let at = BATCH_HEADER_BYTES;
  let recordCount = 0;
  for (;;) {
    // attributes, timestampDelta, offsetDelta, key (null), value length + value, no headers
    let b = 0;
    body[b++] = 0;
    b = writeVarint(body, 0, b);
    b = writeVarint(body, recordCount, b);
    b = writeVarint(body, -1, b);
    b = writeVarint(body, recordBytes, b);
    b += value.copy(body, b);
    b = writeVarint(body, 0, b);
    const lengthEnd = writeVarint(Buffer.alloc(5), b, 0);
    if (recordCount > 0 && at + lengthEnd + b > batchBytes) break;
    at = writeVarint(buf, b, at);
    at += body.copy(buf, at, 0, b);
    recordCount++;
  }
  const bytes = Buffer.from(buf.subarray(0, at));
  const now = Date.now();
  writeInt64(bytes, 0, BatchField.baseOffset);
  bytes.writeInt32BE(at - 12, BatchField.batchLength);
  bytes.writeInt32BE(-1, BatchField.partitionLeaderEpoch);
  bytes.writeInt8(CURRENT_MAGIC, BatchField.magic);
  bytes.writeInt16BE(0, BatchField.attributes);
  bytes.writeInt32BE(recordCount - 1, BatchField.lastOffsetDelta);
  writeInt64(bytes, now, BatchField.baseTimestamp);
  writeInt64(bytes, now, BatchField.maxTimestamp);
  writeInt64(bytes, -1, BatchField.producerId);
  bytes.writeInt16BE(-1, BatchField.producerEpoch);
  bytes.writeInt32BE(-1, BatchField.baseSequence);
  bytes.writeInt32BE(recordCount, BatchField.recordCount);
  bytes.writeUInt32BE(computeBatchCrc(bytes, 0, at), BatchField.crc);
  return { bytes, recordCount };
}

// ---------------------------------------------------------------------------------------------
// Measurement

interface Throughput {
  seconds: number;
  bytes: number;
  batches: number;
  records: number;
  /** Append latencies in ms (only collected where reported). */
  latenciesMs: number[];
}

function newThroughput(): Throughput {
  return { seconds: 0, bytes: 0, batches: 0, records: 0, latenciesMs: [] };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs `concurrency` loops of `step` until the deadline; each step appends one batch. */
async function drive(
  concurrency: number,
  seconds: number,
  step: (worker: number) => Promise<void>,
  result: Throughput,
  batch: BenchBatch,
  trackLatency: boolean,
): Promise<void> {
  const startMs = performance.now();
  const deadlineMs = startMs + seconds * 1000;
  const worker = async (index: number): Promise<void> => {
    while (performance.now() < deadlineMs) {
      const before = performance.now();
      await step(index);
      if (trackLatency) result.latenciesMs.push(performance.now() - before);
      result.batches++;
      result.records += batch.recordCount;
      result.bytes += batch.bytes.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
  result.seconds = (performance.now() - startMs) / 1000;
}

// ---------------------------------------------------------------------------------------------
// Ferry

async function openBenchLog(dir: string, flush: FlushPolicy): Promise<{ manager: LogManager; log: PartitionLog }> {
  const manager = await openLogManager({
    dataDir: dir,
    fs: new NodeFileSystem({ syncWriteMaxBytes }),
    logger: silentLogger,
    defaults: { ...DEFAULT_LOG_CONFIG, flush, maxBatchBytes: 2 * 1024 * 1024, segmentBytes },
  });
  const log = await manager.createLog('bench', 0);
  return { manager, log };
}

async function ferryAppend(dir: string, flush: FlushPolicy, batch: BenchBatch, concurrency: number, seconds: number): Promise<Throughput> {
  const { manager, log } = await openBenchLog(dir, flush);
  // One buffer per appender: storage patches the base offset in place, and may still hold a
  // buffer while it is being written, so appenders never share one in flight.
  const buffers = Array.from({ length: concurrency }, () => Buffer.from(batch.bytes));
  const result = newThroughput();
  await drive(concurrency, seconds, async (worker) => void (await log.append(buffers[worker]!)), result, batch, flush.kind === 'always');
  await manager.close();
  return result;
}

async function ferryRead(dir: string, seconds: number): Promise<Throughput> {
  const { manager, log } = await openBenchLog(dir, { kind: 'none' });
  const result = newThroughput();
  const startMs = performance.now();
  const deadlineMs = startMs + seconds * 1000;
  let offset = log.logStartOffset;
  while (performance.now() < deadlineMs) {
    if (offset >= log.logEndOffset) offset = log.logStartOffset;
    const { data } = await log.read(offset, READ_MAX_BYTES);
    if (data.length === 0) throw new Error(`empty read at ${offset} below log end ${log.logEndOffset}`);
    // Walk the batch headers only, as a fetch path would to find the next offset.
    let at = 0;
    while (at < data.length) {
      const size = data.readInt32BE(at + BatchField.batchLength) + 12;
      offset = readInt64(data, at) + data.readInt32BE(at + BatchField.lastOffsetDelta) + 1;
      result.records += data.readInt32BE(at + BatchField.recordCount);
      result.batches++;
      at += size;
    }
    result.bytes += data.length;
  }
  result.seconds = (performance.now() - startMs) / 1000;
  await manager.close();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Plain node:fs loops

/**
 * The plainest group commit: a caller whose write has completed asks for a sync; if none runs,
 * one starts now; if one runs, the caller waits for the next one, which starts when the running
 * one ends and covers every write completed by then.
 */
class PlainGroupCommit {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private readonly syncFn: () => Promise<void>;

  constructor(syncFn: () => Promise<void>) {
    this.syncFn = syncFn;
  }

  sync(): Promise<void> {
    if (this.running === null) return this.start();
    this.next ??= this.running.then(() => {
      this.next = null;
      return this.start();
    });
    return this.next;
  }

  private start(): Promise<void> {
    const run = this.syncFn().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }
}

async function plainAppend(dir: string, flush: FlushPolicy, batch: BenchBatch, concurrency: number, seconds: number): Promise<Throughput> {
  await fs.mkdir(dir, { recursive: true });
  const handle = await fs.open(path.join(dir, 'plain.log'), 'w+');
  const result = newThroughput();
  let position = 0;
  // One buffer per appender, as Ferry's side has: with 64 appenders of 1 MiB that is 64 MiB, more
  // than the CPU's last-level cache, so both sides copy from memory. Sharing one buffer kept the
  // plain side's source cache-hot and made the comparison unfair.
  const buffers = Array.from({ length: concurrency }, () => Buffer.from(batch.bytes));
  const size = batch.bytes.length;
  let timer: NodeJS.Timeout | undefined;
  let step: (worker: number) => Promise<void>;
  if (flush.kind === 'always' && concurrency > 1) {
    // Group commit, see the header comment: write at once, then share the next fdatasync.
    const committer = new PlainGroupCommit(() => handle.datasync());
    step = async (worker) => {
      const at = position;
      position += size;
      await handle.write(buffers[worker]!, 0, size, at);
      await committer.sync();
    };
  } else {
    if (flush.kind === 'interval') {
      timer = setInterval(() => void handle.datasync(), flush.intervalMs);
    }
    step = async (worker) => {
      const at = position;
      position += size;
      await handle.write(buffers[worker]!, 0, size, at);
      if (flush.kind === 'always') await handle.datasync();
    };
  }
  await drive(concurrency, seconds, step, result, batch, flush.kind === 'always');
  if (timer !== undefined) clearInterval(timer);
  await handle.close();
  return result;
}

/**
 * `fresh`: a new buffer per read, as a server must have (it hands the bytes to a socket that
 * sends them later, and Ferry's read returns a buffer the caller keeps). `reused`: one buffer for
 * every read, the plainest loop, an upper bound no read API that hands out its bytes can reach.
 */
async function plainRead(dir: string, seconds: number, buffers: 'fresh' | 'reused'): Promise<Throughput> {
  const files: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await fs.readdir(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.log')) files.push(full);
    }
  };
  await walk(dir);
  files.sort();
  const handles = await Promise.all(files.map((file) => fs.open(file, 'r')));
  const reusedBuffer = Buffer.allocUnsafe(READ_MAX_BYTES);
  const sizes = await Promise.all(handles.map(async (handle) => (await handle.stat()).size));
  const result = newThroughput();
  const startMs = performance.now();
  const deadlineMs = startMs + seconds * 1000;
  let file = 0;
  let position = 0;
  while (performance.now() < deadlineMs) {
    if (position >= sizes[file]!) {
      file = (file + 1) % handles.length;
      position = 0;
      continue;
    }
    const buffer = buffers === 'fresh' ? Buffer.allocUnsafe(READ_MAX_BYTES) : reusedBuffer;
    const { bytesRead } = await handles[file]!.read(buffer, 0, READ_MAX_BYTES, position);
    position += bytesRead;
    result.bytes += bytesRead;
  }
  result.seconds = (performance.now() - startMs) / 1000;
  await Promise.all(handles.map((handle) => handle.close()));
  return result;
}

// ---------------------------------------------------------------------------------------------
// Cases, table, JSON

interface Row {
  name: string;
  mbPerSec: number;
  recordsPerSec: number;
  batchesPerSec: number;
  baselineMbPerSec: number;
  ratio: number;
  p50Ms: number | null;
  p99Ms: number | null;
  target: number | null;
  isPass: boolean | null;
  runs: number;
}

/**
 * Median of the per-run ratios Ferry / plain. Each pair ran back to back, so a slow spell of the
 * disk or of the (shared) CPUs hits both sides of a pair: the ratio is steadier than the ratio
 * of two medians.
 */
function pairedRatio(ferryRuns: readonly Throughput[], plainRuns: readonly Throughput[]): number {
  return median(ferryRuns.map((run, i) => rates(run).mbPerSec / rates(plainRuns[i]!).mbPerSec));
}

function rates(result: Throughput): { mbPerSec: number; recordsPerSec: number; batchesPerSec: number } {
  return {
    mbPerSec: result.bytes / 1e6 / result.seconds,
    recordsPerSec: result.records / result.seconds,
    batchesPerSec: result.batches / result.seconds,
  };
}

function sizeName(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024}MiB` : bytes >= 1024 ? `${bytes / 1024}KiB` : `${bytes}B`;
}

function targetFor(kind: 'append' | 'read', flush: string, batchBytes: number, concurrency: number): number | null {
  if (kind === 'read') return 0.5;
  if (flush === 'none' && batchBytes === 1024 * 1024) return 0.8;
  if (flush === 'always' && batchBytes === 16 * 1024 && concurrency === 64) return 0.6;
  return null;
}

async function measure(
  name: string,
  target: number | null,
  ferry: (dir: string) => Promise<Throughput>,
  plain: (dir: string) => Promise<Throughput>,
  root: string,
): Promise<Row | null> {
  if (!isSelected(name)) return null;
  const ferryRuns: Throughput[] = [];
  const plainRuns: Throughput[] = [];
  for (let run = 0; run < repeat; run++) {
    // Alternate which goes first, so page-cache and disk state favour neither.
    const order = run % 2 === 0 ? (['ferry', 'plain'] as const) : (['plain', 'ferry'] as const);
    for (const which of order) {
      const dir = await fs.mkdtemp(path.join(root, `${which}-`));
      try {
        if (which === 'ferry') ferryRuns.push(await ferry(dir));
        else plainRuns.push(await plain(dir));
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
  }
  const ferryRates = ferryRuns.map(rates);
  const plainMb = median(plainRuns.map((run) => rates(run).mbPerSec));
  const mbPerSec = median(ferryRates.map((r) => r.mbPerSec));
  const latencies = ferryRuns.filter((run) => run.latenciesMs.length > 0).map((run) => run.latenciesMs.sort((a, b) => a - b));
  const ratio = pairedRatio(ferryRuns, plainRuns);
  return {
    name,
    mbPerSec,
    recordsPerSec: median(ferryRates.map((r) => r.recordsPerSec)),
    batchesPerSec: median(ferryRates.map((r) => r.batchesPerSec)),
    baselineMbPerSec: plainMb,
    ratio,
    p50Ms: latencies.length > 0 ? median(latencies.map((sorted) => percentile(sorted, 50))) : null,
    p99Ms: latencies.length > 0 ? median(latencies.map((sorted) => percentile(sorted, 99))) : null,
    target,
    isPass: target === null ? null : ratio >= target,
    runs: repeat,
  };
}

function printRow(row: Row): void {
  const fmt = (value: number, digits = 0): string =>
    value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const latency = row.p50Ms === null ? '' : `p50 ${fmt(row.p50Ms, 2)} ms p99 ${fmt(row.p99Ms ?? Number.NaN, 2)} ms`;
  const verdict = row.target === null ? '' : `target >= ${row.target * 100}% ${row.isPass ? 'PASS' : 'FAIL'}`;
  console.log(
    [
      row.name.padEnd(62),
      `${fmt(row.mbPerSec, 1).padStart(8)} MB/s`,
      `${fmt(row.recordsPerSec).padStart(11)} rec/s`,
      `${fmt(row.batchesPerSec).padStart(8)} batch/s`,
      `plain ${fmt(row.baselineMbPerSec, 1).padStart(8)} MB/s`,
      `${fmt(row.ratio * 100, 0).padStart(4)}%`,
      latency.padEnd(30),
      verdict,
    ].join('  '),
  );
}

async function fillForReads(dir: string, batch: BenchBatch): Promise<void> {
  const { manager, log } = await openBenchLog(dir, { kind: 'none' });
  const buffer = Buffer.from(batch.bytes);
  while (log.sizeBytes() < READ_DATA_BYTES) await log.append(buffer);
  await manager.close();
}

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(benchRoot(), 'ferry-bench-'));
  // The machine may be shared: the load average says how much the figures can be trusted.
  const loadAtStart = os.loadavg();
  console.log(
    `ferry storage bench: ${caseSeconds}s per case, median of ${repeat}, segmentBytes ${segmentBytes}, syncWriteMaxBytes ${syncWriteMaxBytes}, crc32c ${preloadCrc32c()}, data in ${root}, node ${process.version}, ${os.cpus().length} cpus, load average ${loadAtStart.map((load) => load.toFixed(1)).join(' ')}`,
  );
  const rows: Row[] = [];
  try {
    // Warm the JIT on both paths so the first row is not penalised.
    const warm = buildBatch(100, 16 * 1024);
    await fs.rm(path.join(root, 'warm'), { recursive: true, force: true });
    await ferryAppend(path.join(root, 'warm'), { kind: 'none' }, warm, 8, Math.min(0.5, caseSeconds));
    await fs.rm(path.join(root, 'warm'), { recursive: true, force: true });

    for (const flush of FLUSHES) {
      for (const batchBytes of BATCH_SIZES) {
        for (const recordBytes of RECORD_SIZES) {
          const batch = buildBatch(recordBytes, batchBytes);
          for (const concurrency of CONCURRENCIES) {
            const name = `append ${flush.name} ${sizeName(recordBytes)}x${sizeName(batchBytes)} c${concurrency}`;
            const row = await measure(
              name,
              targetFor('append', flush.name, batchBytes, concurrency),
              (dir) => ferryAppend(dir, flush.policy, batch, concurrency, caseSeconds),
              (dir) => plainAppend(dir, flush.policy, batch, concurrency, caseSeconds),
              root,
            );
            if (row !== null) {
              printRow(row);
              rows.push(row);
            }
          }
        }
      }
    }

    for (const batchBytes of BATCH_SIZES) {
      const name = `read ${sizeName(1024)}x${sizeName(batchBytes)} maxBytes ${sizeName(READ_MAX_BYTES)}`;
      if (!isSelected(name)) continue;
      // All read the same files: Ferry's segments, written once, page cache warm for all.
      const dir = await fs.mkdtemp(path.join(root, 'read-'));
      await fillForReads(dir, buildBatch(1024, batchBytes));
      const ferryRuns: Throughput[] = [];
      const freshRuns: Throughput[] = [];
      const reusedRuns: Throughput[] = [];
      for (let run = 0; run < repeat; run++) {
        ferryRuns.push(await ferryRead(dir, caseSeconds));
        freshRuns.push(await plainRead(dir, caseSeconds, 'fresh'));
        reusedRuns.push(await plainRead(dir, caseSeconds, 'reused'));
      }
      await fs.rm(dir, { recursive: true, force: true });
      const ferryRates = ferryRuns.map(rates);
      const target = targetFor('read', '', batchBytes, 1);
      // Two rows, one per baseline (see plainRead): the like-for-like one, and the plainest loop.
      // The target applies to the like-for-like loop only (docs/storage.md, "Performance"): the
      // reused-buffer loop is printed as an upper bound, without a target or a verdict.
      for (const [label, plainRuns, rowTarget] of [
        ['vs plain, fresh buffer per read', freshRuns, target],
        ['vs plain, one reused buffer: upper bound', reusedRuns, null],
      ] as const) {
        const ratio = pairedRatio(ferryRuns, plainRuns);
        const row: Row = {
          name: `${name} (${label})`,
          mbPerSec: median(ferryRates.map((r) => r.mbPerSec)),
          recordsPerSec: median(ferryRates.map((r) => r.recordsPerSec)),
          batchesPerSec: median(ferryRates.map((r) => r.batchesPerSec)),
          baselineMbPerSec: median(plainRuns.map((run) => rates(run).mbPerSec)),
          ratio,
          p50Ms: null,
          p99Ms: null,
          target: rowTarget,
          isPass: rowTarget === null ? null : ratio >= rowTarget,
          runs: repeat,
        };
        printRow(row);
        rows.push(row);
      }
    }
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }

  const failed = rows.filter((row) => row.isPass === false);
  console.log(
    `targets: ${rows.filter((row) => row.isPass === true).length} pass, ${failed.length} fail${failed.length > 0 ? `: ${failed.map((row) => row.name).join('; ')}` : ''}`,
  );
  if (flags['no-json'] !== true) {
    const resultsDir = path.join(repoDir, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = path.join(resultsDir, `storage-${stamp}.json`);
    const meta = {
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg(),
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      caseSeconds,
      repeat,
      segmentBytes,
      syncWriteMaxBytes,
      crc32c: preloadCrc32c(),
      date: new Date().toISOString(),
    };
    writeFileSync(file, `${JSON.stringify({ meta, rows }, null, 2)}\n`);
    console.log(`results: ${path.relative(repoDir, file)}`);
  }
}

await main();
