import type { FileSystem } from './types.ts';

/**
 * Makes a directory's entry changes (created segments, new log dirs) durable, coalescing: callers
 * that ask while a syncDir runs share the next one, and nothing is synced when nothing changed.
 * A name is durable only after its directory is fsynced (POSIX), so a new segment's appends are
 * acknowledged under `flush: always` only once this has run.
 */
export class DirSync {
  readonly path: string;
  private readonly fs: FileSystem;
  private changedGeneration = 0;
  private syncedGeneration = 0;
  private inFlight: Promise<void> | null = null;

  constructor(fs: FileSystem, path: string) {
    this.fs = fs;
    this.path = path;
  }

  get isDirty(): boolean {
    return this.syncedGeneration < this.changedGeneration;
  }

  markChanged(): void {
    this.changedGeneration++;
  }

  /** Resolves once every change marked before this call is durable. */
  async sync(): Promise<void> {
    const target = this.changedGeneration;
    while (this.syncedGeneration < target) {
      if (this.inFlight !== null) {
        // It may have started before our change: wait for it, then check again.
        await this.inFlight.catch(() => {});
        continue;
      }
      const generation = this.changedGeneration;
      const run = this.fs.syncDir(this.path).then(() => {
        if (generation > this.syncedGeneration) this.syncedGeneration = generation;
      });
      this.inFlight = run;
      try {
        await run;
      } finally {
        if (this.inFlight === run) this.inFlight = null;
      }
    }
  }
}
