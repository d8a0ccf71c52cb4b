/** One assigned partition, as the consumer tracks it. */
export class PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** Next offset to fetch; -1 until known (committed offset or reset policy). */
  position = -1;
  /** Next offset after the last record the application finished with: what a commit stores. */
  consumed = -1;
  /** Last committed offset (-1: none known). */
  committed = -1;
  isPaused = false;
  /** False once revoked: buffered records of a revoked partition are dropped, never yielded. */
  isAssigned = true;
  /** Bumped by seek, pause and offset resets: fetch answers and buffered records of an older
   *  epoch are stale. */
  epoch = 0;
  /** Back-off after a partition error (ms since the epoch). */
  retryAtMs = 0;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  get key(): string {
    return `${this.topic}\u0000${this.partition}`;
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
