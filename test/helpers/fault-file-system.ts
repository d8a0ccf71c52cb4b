/**
 * A `FileSystem` over an in-memory disk model that knows what a power cut would keep.
 *
 * For every file it holds the live bytes (what reads see: the page cache) and the durable bytes
 * (what the last completed `sync` made stable), plus the ordered list of writes and truncates
 * since. For every directory it holds the live entries and the durable entries, plus the ordered
 * list of entry changes (create, rename, unlink, mkdir) since the last `syncDir` of that
 * directory. Nothing but `sync` makes file bytes durable and nothing but `syncDir` makes a name
 * durable: POSIX promises no more, and a storage engine that relies on more (a new segment
 * fsynced but its directory never synced) loses it here, as it could on a real machine.
 *
 * `powerCut()` builds the disk a reboot would find and returns a new mount on it; the old mount
 * is dead (every call and every open handle throws EIO), as the process would be. What survives:
 * - file bytes: the durable bytes; with `tearLastWrite`, also a random prefix of the unsynced
 *   writes, the last one kept only in part (a torn write: a prefix of its bytes, or its length
 *   with zeros instead of data, as ext4 can leave when the size reached the journal first);
 * - names: the durable entries plus a random prefix of each directory's unsynced changes
 *   (metadata journals commit in order, so a later change never survives without an earlier one
 *   of the same directory), or none of them (`metadata: 'durableOnly'`).
 *
 * Faults: `injectFault()` makes the nth matching call fail with ENOSPC / EIO / EDQUOT. A failed
 * `sync` dooms the writes it covered, as Linux does (the pages are marked clean after the error,
 * so a later sync succeeds without writing them: "fsyncgate"); an engine that retries the sync
 * and acknowledges loses data here.
 *
 * Randomness comes from a seeded RNG (`mulberry32`); `testSeed()` prints the seed and replays
 * `FERRY_SEED`.
 */
import path from 'node:path';
import type { FileSystem, OpenMode, StorageFile } from '../../src/storage/types.ts';

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** Uniform in [0, 1). */
export type Rng = () => number;

/** mulberry32: a 32-bit state PRNG, plenty for choosing fault points, and trivially replayable. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/** Integer in [min, max], both inclusive. */
export function randomInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[Math.floor(rng() * items.length)]!;
}

/** The run's seed: `FERRY_SEED` replays one; otherwise a fresh one. Printed either way. */
export function testSeed(label = 'FERRY_SEED'): number {
  const fromEnv = process.env.FERRY_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : Math.floor(Math.random() * 0x7fffffff);
  console.log(`${label}=${seed}`);
  return seed;
}

// ---------------------------------------------------------------------------------------------
// Errors shaped like Node's, so `toFerryError` maps ENOSPC to DISK_FULL as it would for real.

export type FaultCode = 'ENOSPC' | 'EIO' | 'EDQUOT';

const ERRNO: Readonly<Record<string, number>> = {
  ENOENT: -2,
  EIO: -5,
  EBADF: -9,
  EEXIST: -17,
  ENOTDIR: -20,
  EISDIR: -21,
  ENOSPC: -28,
  EDQUOT: -122,
};

function errnoError(code: string, syscall: string, filePath: string, why: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${why}, ${syscall} '${filePath}'`);
  error.code = code;
  error.errno = ERRNO[code] ?? -1;
  error.syscall = syscall;
  error.path = filePath;
  return error;
}

// ---------------------------------------------------------------------------------------------
// The disk model

/** A growable byte array: a file's live or durable contents. */
class Bytes {
  buf: Buffer;
  length: number;

  constructor(initial?: Buffer) {
    this.buf = Buffer.alloc(Math.max(64, initial?.length ?? 0));
    this.length = 0;
    if (initial !== undefined) {
      initial.copy(this.buf, 0);
      this.length = initial.length;
    }
  }

  private reserve(capacity: number): void {
    if (capacity <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(capacity, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  write(data: Buffer, position: number): void {
    const end = position + data.length;
    this.reserve(end);
    // A write past the end leaves a hole that reads as zeros.
    if (position > this.length) this.buf.fill(0, this.length, position);
    data.copy(this.buf, position);
    if (end > this.length) this.length = end;
  }

  truncate(length: number): void {
    if (length > this.length) {
      this.reserve(length);
      this.buf.fill(0, this.length, length);
    }
    this.length = length;
  }

  snapshot(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

type FileOp =
  | { kind: 'write'; seq: number; position: number; data: Buffer; isDoomed: boolean }
  | { kind: 'truncate'; seq: number; length: number; isDoomed: boolean };

function applyOp(bytes: Bytes, op: FileOp): void {
  if (op.kind === 'write') bytes.write(op.data, op.position);
  else bytes.truncate(op.length);
}

class FileNode {
  readonly kind = 'file';
  readonly live: Bytes;
  readonly durable: Bytes;
  /** Writes and truncates not yet made durable, oldest first. */
  pending: FileOp[] = [];
  nextSeq = 0;

  constructor(contents?: Buffer) {
    this.live = new Bytes(contents);
    this.durable = new Bytes(contents);
  }

  record(op: FileOp): void {
    applyOp(this.live, op);
    this.pending.push(op);
  }

  /** Makes durable every op issued before `beforeSeq` that a failed sync did not doom. */
  commit(beforeSeq: number): void {
    let kept = 0;
    for (const op of this.pending) {
      if (op.seq < beforeSeq) {
        if (!op.isDoomed) applyOp(this.durable, op);
      } else {
        this.pending[kept++] = op;
      }
    }
    this.pending.length = kept;
  }

  doom(beforeSeq: number): void {
    for (const op of this.pending) if (op.seq < beforeSeq) op.isDoomed = true;
  }
}

type EntryChange = readonly [name: string, node: Node | null];

class DirNode {
  readonly kind = 'dir';
  readonly live = new Map<string, Node>();
  readonly durable = new Map<string, Node>();
  /** Entry changes not yet made durable, oldest first; each group is atomic (one rename). */
  pending: EntryChange[][] = [];

  change(changes: EntryChange[]): void {
    for (const [name, node] of changes) {
      if (node === null) this.live.delete(name);
      else this.live.set(name, node);
    }
    this.pending.push(changes);
  }

  commit(): void {
    for (const group of this.pending) applyChanges(this.durable, group);
    this.pending = [];
  }
}

type Node = FileNode | DirNode;

function applyChanges(entries: Map<string, Node>, group: readonly EntryChange[]): void {
  for (const [name, node] of group) {
    if (node === null) entries.delete(name);
    else entries.set(name, node);
  }
}

export interface PowerCutOptions {
  rng: Rng;
  /** Keep a random prefix of each file's unsynced writes, the last one torn. Default false. */
  tearLastWrite?: boolean;
  /** Unsynced directory changes: a random prefix survives (default), none, or all of them (the
   *  journal had committed everything: the most names a cut can leave). */
  metadata?: 'randomPrefix' | 'durableOnly' | 'all';
  /**
   * Every file keeps its size from before the cut, but unsynced bytes read as zeros: the size
   * reached the disk and the data did not (what XFS, or ext4 with data=writeback, can leave).
   * Overrides `tearLastWrite`.
   */
  sizeWithoutData?: boolean;
  /**
   * Unsynced writes reach the disk in any order (writeback goes page by page, not call by call):
   * each one is kept, kept in part or dropped on its own, so a later write can survive an earlier
   * one that left a hole of zeros. Overrides `tearLastWrite`.
   */
  reorderUnsynced?: boolean;
}

export interface PowerCutReport {
  /** `performance.now()` at the cut. */
  atMs: number;
  /** Files that kept some unsynced bytes. */
  tornFiles: string[];
  /** Files whose unsynced bytes were dropped (in whole or in part). */
  filesWithLoss: string[];
  /** Directory entries that differ from the live namespace before the cut. */
  namesLost: number;
}

function buildSurvivor(root: DirNode, options: PowerCutOptions): { root: DirNode; report: PowerCutReport } {
  const memo = new Map<Node, Node>();
  const report: PowerCutReport = { atMs: performance.now(), tornFiles: [], filesWithLoss: [], namesLost: 0 };
  const { rng } = options;

  const surviveFile = (file: FileNode, filePath: string): FileNode => {
    const bytes = new Bytes(file.durable.snapshot());
    const ops = file.pending.filter((op) => !op.isDoomed);
    let kept = 0;
    if (options.sizeWithoutData === true && ops.length > 0) {
      bytes.truncate(file.live.length);
      report.tornFiles.push(filePath);
    } else if (options.reorderUnsynced === true && ops.length > 0) {
      for (const op of ops) {
        const roll = rng();
        if (op.kind === 'truncate') applyOp(bytes, op);
        else if (roll < 0.5) applyOp(bytes, op);
        else if (roll < 0.7) bytes.write(op.data.subarray(0, randomInt(rng, 0, op.data.length - 1)), op.position);
      }
      if (!bytes.snapshot().equals(file.live.snapshot())) report.filesWithLoss.push(filePath);
      report.tornFiles.push(filePath);
      return new FileNode(bytes.snapshot());
    } else if (options.tearLastWrite === true && ops.length > 0) {
      kept = randomInt(rng, 0, ops.length);
      for (let i = 0; i < kept; i++) applyOp(bytes, ops[i]!);
      const torn = ops[kept];
      if (torn !== undefined && torn.kind === 'write' && rng() < 0.7) {
        if (rng() < 0.75) {
          const prefix = randomInt(rng, 0, torn.data.length - 1);
          bytes.write(torn.data.subarray(0, prefix), torn.position);
        } else if (torn.position + torn.data.length > bytes.length) {
          bytes.truncate(torn.position + torn.data.length);
        }
      }
      if (kept > 0 || bytes.length !== file.durable.length) report.tornFiles.push(filePath);
    }
    if (kept < file.pending.length) report.filesWithLoss.push(filePath);
    return new FileNode(bytes.snapshot());
  };

  const surviveDir = (dir: DirNode, dirPath: string): DirNode => {
    const entries = new Map(dir.durable);
    if (options.metadata !== 'durableOnly') {
      const kept = options.metadata === 'all' ? dir.pending.length : randomInt(rng, 0, dir.pending.length);
      for (let i = 0; i < kept; i++) applyChanges(entries, dir.pending[i]!);
    }
    for (const [name, node] of dir.live) if (entries.get(name) !== node) report.namesLost++;
    const fresh = new DirNode();
    for (const [name, node] of entries) {
      let copy = memo.get(node);
      if (copy === undefined) {
        const childPath = path.posix.join(dirPath, name);
        copy = node.kind === 'dir' ? surviveDir(node, childPath) : surviveFile(node, childPath);
        memo.set(node, copy);
      }
      fresh.live.set(name, copy);
      fresh.durable.set(name, copy);
    }
    return fresh;
  };

  return { root: surviveDir(root, '/'), report };
}

// ---------------------------------------------------------------------------------------------
// Fault injection

export type FaultOp = 'open' | 'write' | 'sync' | 'truncate' | 'rename' | 'unlink' | 'mkdir' | 'syncDir' | 'readFile' | 'read';

export interface FaultSpec {
  op: FaultOp;
  code: FaultCode;
  /** Fail the nth matching call from now (1 = the next one). Default 1. */
  nth?: number;
  /** How many matching calls fail, starting with the nth. Default 1; Infinity = until cleared. */
  times?: number;
  /** Only calls on paths containing this. */
  pathIncludes?: string;
  /** For `write`: bytes written before the error (a short write). Default 0. */
  partialBytes?: number;
}

interface ArmedFault {
  spec: FaultSpec;
  untilFirst: number;
  remaining: number;
  fired: number;
}

// ---------------------------------------------------------------------------------------------
// The mount

export interface FaultFileSystemOptions {
  /** RNG for readdir order and, by default, power cuts. */
  rng?: Rng;
  /** Delay of every `sync`/`syncDir` completion, in ms; 0 = next macrotask. Default 0. */
  syncLatencyMs?: number;
  /** Return readdir entries in a random order, as ext4's hashed directories do. Default true. */
  shuffleReaddir?: boolean;
}

/**
 * A lying disk, for negative controls: `sync` / `syncDir` succeed without making anything durable
 * (a volatile write cache that ignores flushes). A test must see loss on it.
 */
export interface DiskLies {
  sync?: boolean;
  syncDir?: boolean;
}

export interface FaultStats {
  mutations: number;
  writes: number;
  bytesWritten: number;
  syncs: number;
  syncDirs: number;
  faultsFired: number;
}

interface ScheduledCut {
  atMutation: number;
  /** When set, the cut comes before the first mutating call it accepts (`op path`). */
  matcher: ((call: string) => boolean) | null;
  options: PowerCutOptions;
  resolve: (mount: FaultFileSystem) => void;
}

export class FaultFileSystem implements FileSystem {
  private readonly root: DirNode;
  private readonly options: FaultFileSystemOptions;
  private readonly rng: Rng;
  private isAlive = true;
  private faults: ArmedFault[] = [];
  private scheduledCut: ScheduledCut | null = null;
  private tempCounter = 0;
  readonly stats: FaultStats = { mutations: 0, writes: 0, bytesWritten: 0, syncs: 0, syncDirs: 0, faultsFired: 0 };
  /** Set once this mount has been cut: what the cut kept and lost. */
  lastCut: PowerCutReport | null = null;
  /**
   * Per file path, when (`performance.now()`) the last *completed* successful sync of it was
   * issued: every write issued before that moment is durable. The interval-flush tests use it to
   * tell what a flush had covered before a cut.
   */
  readonly lastSyncIssuedAtMs = new Map<string, number>();
  /** When set, every mutating call is recorded here as `op path` (to aim a cut at one). */
  journal: string[] | null = null;
  /** Set to make this mount (and the ones after its cuts) ignore flushes. */
  lies: DiskLies = {};

  constructor(options: FaultFileSystemOptions = {}, root?: DirNode) {
    this.options = options;
    this.rng = options.rng ?? mulberry32(1);
    this.root = root ?? new DirNode();
  }

  get alive(): boolean {
    return this.isAlive;
  }

  // -- faults and cuts ------------------------------------------------------------------------

  injectFault(spec: FaultSpec): void {
    this.faults.push({ spec, untilFirst: spec.nth ?? 1, remaining: spec.times ?? 1, fired: 0 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /**
   * Simulates losing power now: returns a mount on what a reboot would find. This mount and its
   * open files are dead from here on (EIO), as the crashed process would be.
   */
  powerCut(options: PowerCutOptions): FaultFileSystem {
    if (!this.isAlive) throw new Error('this mount was already cut');
    this.isAlive = false;
    const pendingCut = this.scheduledCut;
    this.scheduledCut = null;
    const { root, report } = buildSurvivor(this.root, options);
    this.lastCut = report;
    const next = new FaultFileSystem(this.options, root);
    next.lies = this.lies;
    pendingCut?.resolve(next);
    return next;
  }

  /**
   * Cuts power just before the `afterMutations`-th mutating call from now (1 = the next one;
   * that call and all later ones fail). Resolves with the mount on the surviving disk.
   */
  scheduleCut(afterMutations: number, options: PowerCutOptions): Promise<FaultFileSystem> {
    if (this.scheduledCut !== null) throw new Error('a cut is already scheduled');
    return new Promise((resolve) => {
      this.scheduledCut = { atMutation: this.stats.mutations + Math.max(1, afterMutations), matcher: null, options, resolve };
    });
  }

  /**
   * Cuts power just before the first mutating call `matcher` accepts (given as `op path`, as in
   * `journal`; it may keep state, to say "the first X after a Y"). Background work makes call
   * counts vary from run to run; a matcher aims at the same step every time.
   */
  scheduleCutWhen(matcher: (call: string) => boolean, options: PowerCutOptions): Promise<FaultFileSystem> {
    if (this.scheduledCut !== null) throw new Error('a cut is already scheduled');
    return new Promise((resolve) => {
      this.scheduledCut = { atMutation: Number.POSITIVE_INFINITY, matcher, options, resolve };
    });
  }

  /** Drops a scheduled cut that has not fired (its promise never settles). */
  cancelScheduledCut(): void {
    this.scheduledCut = null;
  }

  private checkAlive(syscall: string, filePath: string): void {
    if (!this.isAlive) throw errnoError('EIO', syscall, filePath, 'power was cut');
  }

  /** Every call that changes the disk passes here: the scheduled cut and faults fire here. */
  private mutation(op: FaultOp, filePath: string): ArmedFault | null {
    this.checkAlive(op, filePath);
    this.stats.mutations++;
    this.journal?.push(`${op} ${filePath}`);
    const cut = this.scheduledCut;
    if (cut !== null && (this.stats.mutations >= cut.atMutation || cut.matcher?.(`${op} ${filePath}`) === true)) {
      this.powerCut(cut.options);
      throw errnoError('EIO', op, filePath, 'power was cut');
    }
    return this.matchFault(op, filePath);
  }

  private matchFault(op: FaultOp, filePath: string): ArmedFault | null {
    for (const fault of this.faults) {
      const { spec } = fault;
      if (spec.op !== op || fault.remaining <= 0) continue;
      if (spec.pathIncludes !== undefined && !filePath.includes(spec.pathIncludes)) continue;
      if (fault.untilFirst > 1) {
        fault.untilFirst--;
        continue;
      }
      fault.remaining--;
      fault.fired++;
      this.stats.faultsFired++;
      return fault;
    }
    return null;
  }

  private failWith(fault: ArmedFault, op: FaultOp, filePath: string): never {
    throw errnoError(fault.spec.code, op, filePath, 'injected fault');
  }

  private async settle(isSync: boolean): Promise<void> {
    const latencyMs = this.options.syncLatencyMs ?? 0;
    if (isSync && latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    else if (isSync) await new Promise((resolve) => setImmediate(resolve));
    else await Promise.resolve();
  }

  // -- path resolution ------------------------------------------------------------------------

  private normalize(filePath: string): string {
    if (!path.posix.isAbsolute(filePath)) throw new Error(`FaultFileSystem needs absolute paths, got '${filePath}'`);
    return path.posix.normalize(filePath);
  }

  private lookup(filePath: string): Node | undefined {
    const parts = this.normalize(filePath)
      .split('/')
      .filter((part) => part !== '');
    let node: Node = this.root;
    for (const part of parts) {
      if (node.kind !== 'dir') return undefined;
      const next: Node | undefined = node.live.get(part);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  private parentOf(filePath: string, syscall: string): { dir: DirNode; name: string } {
    const normalized = this.normalize(filePath);
    const name = path.posix.basename(normalized);
    const parent = this.lookup(path.posix.dirname(normalized));
    if (parent === undefined) throw errnoError('ENOENT', syscall, filePath, 'no such file or directory');
    if (parent.kind !== 'dir') throw errnoError('ENOTDIR', syscall, filePath, 'not a directory');
    return { dir: parent, name };
  }

  private fileAt(filePath: string, syscall: string): FileNode {
    const node = this.lookup(filePath);
    if (node === undefined) throw errnoError('ENOENT', syscall, filePath, 'no such file or directory');
    if (node.kind !== 'file') throw errnoError('EISDIR', syscall, filePath, 'illegal operation on a directory');
    return node;
  }

  private dirAt(filePath: string, syscall: string): DirNode {
    const node = this.lookup(filePath);
    if (node === undefined) throw errnoError('ENOENT', syscall, filePath, 'no such file or directory');
    if (node.kind !== 'dir') throw errnoError('ENOTDIR', syscall, filePath, 'not a directory');
    return node;
  }

  // -- file handles (called by FaultFile) ------------------------------------------------------

  /** @internal */
  async fileWrite(file: FileNode, filePath: string, data: Buffer, position: number): Promise<void> {
    const fault = this.mutation('write', filePath);
    this.stats.writes++;
    if (fault !== null) {
      const partial = Math.min(fault.spec.partialBytes ?? 0, data.length);
      if (partial > 0)
        file.record({ kind: 'write', seq: file.nextSeq++, position, data: Buffer.from(data.subarray(0, partial)), isDoomed: false });
      await this.settle(false);
      this.failWith(fault, 'write', filePath);
    }
    // Copied: the caller may reuse its buffer once the write resolves, the disk may not change.
    file.record({ kind: 'write', seq: file.nextSeq++, position, data: Buffer.from(data), isDoomed: false });
    this.stats.bytesWritten += data.length;
    await this.settle(false);
    this.checkAlive('write', filePath);
  }

  /** @internal */
  async fileSync(file: FileNode, filePath: string): Promise<void> {
    const fault = this.mutation('sync', filePath);
    this.stats.syncs++;
    const coversSeq = file.nextSeq;
    const issuedAtMs = performance.now();
    await this.settle(true);
    this.checkAlive('fsync', filePath);
    if (fault !== null) {
      file.doom(coversSeq);
      this.failWith(fault, 'sync', filePath);
    }
    if (this.lies.sync !== true) file.commit(coversSeq);
    this.lastSyncIssuedAtMs.set(filePath, Math.max(issuedAtMs, this.lastSyncIssuedAtMs.get(filePath) ?? 0));
  }

  /** @internal */
  async fileTruncate(file: FileNode, filePath: string, length: number): Promise<void> {
    const fault = this.mutation('truncate', filePath);
    if (fault !== null) this.failWith(fault, 'truncate', filePath);
    file.record({ kind: 'truncate', seq: file.nextSeq++, length, isDoomed: false });
    await this.settle(false);
  }

  /** @internal */
  async fileRead(
    file: FileNode,
    filePath: string,
    target: Buffer,
    targetOffset: number,
    length: number,
    position: number,
  ): Promise<number> {
    this.checkAlive('read', filePath);
    const fault = this.matchFault('read', filePath);
    if (fault !== null) this.failWith(fault, 'read', filePath);
    await this.settle(false);
    this.checkAlive('read', filePath);
    const available = Math.max(0, Math.min(length, file.live.length - position, target.length - targetOffset));
    if (available > 0) file.live.buf.copy(target, targetOffset, position, position + available);
    return available;
  }

  /** @internal */
  fileCheckAlive(syscall: string, filePath: string): void {
    this.checkAlive(syscall, filePath);
  }

  // -- FileSystem ------------------------------------------------------------------------------

  async open(filePath: string, mode: OpenMode): Promise<StorageFile> {
    this.checkAlive('open', filePath);
    let node = this.lookup(filePath);
    if (node === undefined && mode === 'create') {
      const { dir, name } = this.parentOf(filePath, 'open');
      const fault = this.mutation('open', filePath);
      if (fault !== null) this.failWith(fault, 'open', filePath);
      node = new FileNode();
      dir.change([[name, node]]);
    } else {
      const fault = this.matchFault('open', filePath);
      if (fault !== null) this.failWith(fault, 'open', filePath);
    }
    if (node === undefined) throw errnoError('ENOENT', 'open', filePath, 'no such file or directory');
    if (node.kind !== 'file') throw errnoError('EISDIR', 'open', filePath, 'illegal operation on a directory');
    await this.settle(false);
    return new FaultFile(this, node, this.normalize(filePath), mode === 'read');
  }

  async readFile(filePath: string): Promise<Buffer> {
    this.checkAlive('readFile', filePath);
    const fault = this.matchFault('readFile', filePath);
    if (fault !== null) this.failWith(fault, 'readFile', filePath);
    const file = this.fileAt(filePath, 'open');
    await this.settle(false);
    return file.live.snapshot();
  }

  /** The same steps as a real atomic replace, each one a mutation, so a cut can land between. */
  async writeFileAtomic(filePath: string, data: Buffer): Promise<void> {
    const normalized = this.normalize(filePath);
    const tempPath = `${normalized}.tmp-${++this.tempCounter}`;
    const file = await this.open(tempPath, 'create');
    try {
      await file.truncate(0);
      await file.write(data, 0);
      await file.sync();
    } finally {
      await file.close();
    }
    await this.rename(tempPath, normalized);
    await this.syncDir(path.posix.dirname(normalized));
  }

  async exists(filePath: string): Promise<boolean> {
    this.checkAlive('stat', filePath);
    await this.settle(false);
    return this.lookup(filePath) !== undefined;
  }

  /** Recursive and idempotent, like `fs.mkdir(p, { recursive: true })`. */
  async mkdir(filePath: string): Promise<void> {
    this.checkAlive('mkdir', filePath);
    const parts = this.normalize(filePath)
      .split('/')
      .filter((part) => part !== '');
    let dir = this.root;
    let at = '/';
    for (const part of parts) {
      at = path.posix.join(at, part);
      const next = dir.live.get(part);
      if (next === undefined) {
        const fault = this.mutation('mkdir', at);
        if (fault !== null) this.failWith(fault, 'mkdir', at);
        const created = new DirNode();
        dir.change([[part, created]]);
        dir = created;
      } else if (next.kind === 'dir') {
        dir = next;
      } else {
        throw errnoError('EEXIST', 'mkdir', at, 'file already exists');
      }
    }
    await this.settle(false);
  }

  async readdir(filePath: string): Promise<string[]> {
    this.checkAlive('scandir', filePath);
    const dir = this.dirAt(filePath, 'scandir');
    const names = [...dir.live.keys()];
    if (this.options.shuffleReaddir !== false) {
      for (let i = names.length - 1; i > 0; i--) {
        const j = Math.floor(this.rng() * (i + 1));
        [names[i], names[j]] = [names[j]!, names[i]!];
      }
    }
    await this.settle(false);
    return names;
  }

  async unlink(filePath: string): Promise<void> {
    this.checkAlive('unlink', filePath);
    const { dir, name } = this.parentOf(filePath, 'unlink');
    const node = dir.live.get(name);
    if (node === undefined) throw errnoError('ENOENT', 'unlink', filePath, 'no such file or directory');
    if (node.kind === 'dir') throw errnoError('EISDIR', 'unlink', filePath, 'illegal operation on a directory');
    const fault = this.mutation('unlink', filePath);
    if (fault !== null) this.failWith(fault, 'unlink', filePath);
    dir.change([[name, null]]);
    await this.settle(false);
  }

  async rename(from: string, to: string): Promise<void> {
    this.checkAlive('rename', from);
    const source = this.parentOf(from, 'rename');
    const target = this.parentOf(to, 'rename');
    const node = source.dir.live.get(source.name);
    if (node === undefined) throw errnoError('ENOENT', 'rename', from, 'no such file or directory');
    const replaced = target.dir.live.get(target.name);
    if (replaced !== undefined && replaced.kind !== node.kind) throw errnoError('EISDIR', 'rename', to, 'illegal operation on a directory');
    if (replaced === node) return;
    const fault = this.mutation('rename', from);
    if (fault !== null) this.failWith(fault, 'rename', from);
    // Within one directory a rename is one atomic change; across two, each directory's half
    // becomes durable with its own syncDir (a cut between can leave both names, or neither).
    if (source.dir === target.dir) {
      source.dir.change([
        [source.name, null],
        [target.name, node],
      ]);
    } else {
      target.dir.change([[target.name, node]]);
      source.dir.change([[source.name, null]]);
    }
    await this.settle(false);
  }

  /** Like `fs.rm(p, { recursive: true, force: true })`: children first, then the directory. */
  async removeDir(filePath: string): Promise<void> {
    this.checkAlive('rm', filePath);
    const node = this.lookup(filePath);
    if (node === undefined) return;
    if (node.kind !== 'dir') throw errnoError('ENOTDIR', 'rm', filePath, 'not a directory');
    const removeChildren = (dir: DirNode, dirPath: string): void => {
      for (const [name, child] of [...dir.live]) {
        const childPath = path.posix.join(dirPath, name);
        if (child.kind === 'dir') removeChildren(child, childPath);
        const fault = this.mutation('unlink', childPath);
        if (fault !== null) this.failWith(fault, 'unlink', childPath);
        dir.change([[name, null]]);
      }
    };
    const normalized = this.normalize(filePath);
    removeChildren(node, normalized);
    const { dir, name } = this.parentOf(normalized, 'rm');
    const fault = this.mutation('unlink', normalized);
    if (fault !== null) this.failWith(fault, 'unlink', normalized);
    dir.change([[name, null]]);
    await this.settle(false);
  }

  async syncDir(filePath: string): Promise<void> {
    const dir = this.dirAt(filePath, 'fsync');
    const fault = this.mutation('syncDir', filePath);
    this.stats.syncDirs++;
    // Entry changes made while the fsync runs are not covered by it.
    const covered = dir.pending.length;
    await this.settle(true);
    this.checkAlive('fsync', filePath);
    if (fault !== null) this.failWith(fault, 'syncDir', filePath);
    if (this.lies.syncDir === true) return;
    for (let i = 0; i < covered; i++) applyChanges(dir.durable, dir.pending[i]!);
    dir.pending = dir.pending.slice(covered);
  }

  // -- inspection, for tests --------------------------------------------------------------------

  /** Live contents of a file (what reads see), or undefined. */
  peek(filePath: string): Buffer | undefined {
    const node = this.lookup(filePath);
    return node?.kind === 'file' ? node.live.snapshot() : undefined;
  }

  /** Durable contents of a file (what a cut with `tearLastWrite: false` keeps), or undefined. */
  peekDurable(filePath: string): Buffer | undefined {
    const node = this.lookup(filePath);
    return node?.kind === 'file' ? node.durable.snapshot() : undefined;
  }

  /** Every file path under `dirPath` (live namespace), sorted. */
  listFiles(dirPath = '/'): string[] {
    const out: string[] = [];
    const walk = (dir: DirNode, at: string): void => {
      for (const [name, node] of dir.live) {
        const childPath = path.posix.join(at, name);
        if (node.kind === 'dir') walk(node, childPath);
        else out.push(childPath);
      }
    };
    const start = this.lookup(dirPath);
    if (start?.kind === 'dir') walk(start, this.normalize(dirPath));
    return out.sort();
  }

  /** Unsynced bytes and names across the disk: what a cut right now could lose. */
  unsyncedSummary(): { files: number; ops: number; dirChanges: number } {
    let files = 0;
    let ops = 0;
    let dirChanges = 0;
    const seen = new Set<Node>();
    const walk = (dir: DirNode): void => {
      dirChanges += dir.pending.length;
      for (const node of dir.live.values()) {
        if (seen.has(node)) continue;
        seen.add(node);
        if (node.kind === 'dir') walk(node);
        else if (node.pending.length > 0) {
          files++;
          ops += node.pending.length;
        }
      }
    };
    walk(this.root);
    return { files, ops, dirChanges };
  }
}

class FaultFile implements StorageFile {
  readonly path: string;
  private readonly fs: FaultFileSystem;
  private readonly node: FileNode;
  private readonly isReadOnly: boolean;
  private isClosed = false;

  constructor(fs: FaultFileSystem, node: FileNode, filePath: string, isReadOnly: boolean) {
    this.fs = fs;
    this.node = node;
    this.path = filePath;
    this.isReadOnly = isReadOnly;
  }

  private check(syscall: string, needsWrite: boolean): void {
    this.fs.fileCheckAlive(syscall, this.path);
    if (this.isClosed) throw errnoError('EBADF', syscall, this.path, 'file is closed');
    if (needsWrite && this.isReadOnly) throw errnoError('EBADF', syscall, this.path, 'file is open for reading only');
  }

  async read(target: Buffer, targetOffset: number, length: number, position: number): Promise<number> {
    this.check('read', false);
    return this.fs.fileRead(this.node, this.path, target, targetOffset, length, position);
  }

  async write(data: Buffer, position: number): Promise<void> {
    this.check('write', true);
    return this.fs.fileWrite(this.node, this.path, data, position);
  }

  /** One pwritev: the disk sees it as one write of the buffers back to back (torn as one). */
  async writev(data: readonly Buffer[], position: number): Promise<void> {
    this.check('writev', true);
    return this.fs.fileWrite(this.node, this.path, Buffer.concat(data), position);
  }

  async sync(): Promise<void> {
    this.check('fsync', false);
    return this.fs.fileSync(this.node, this.path);
  }

  async truncate(length: number): Promise<void> {
    this.check('ftruncate', true);
    return this.fs.fileTruncate(this.node, this.path, length);
  }

  async size(): Promise<number> {
    this.check('fstat', false);
    return this.node.live.length;
  }

  async close(): Promise<void> {
    // Closing after a cut, or twice, is harmless: the handle is gone either way.
    this.isClosed = true;
  }
}
