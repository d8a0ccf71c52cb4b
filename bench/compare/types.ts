/**
 * The contract between the comparison runner, its workloads and one adapter per system. A
 * workload only speaks this interface, so every system gets the same producer loop, the same
 * consumer accounting and the same clock: differences in the figures come from the systems.
 */

export type WorkloadName = 'publish' | 'end-to-end' | 'queue' | 'latency' | 'fan-out' | 'scale';

export const WORKLOAD_NAMES: readonly WorkloadName[] = ['publish', 'end-to-end', 'queue', 'latency', 'fan-out', 'scale'];

/** Called once per delivered record, after the adapter has acknowledged it (or queued its ack). */
export type DeliveryHandler = (value: Buffer) => void;

export interface Publisher {
  /**
   * Sends every value and resolves once the system has confirmed all of them under its durable
   * confirm mechanism (publisher confirms, JetStream acks, Redis replies, PUBACK, Ferry acks all).
   * Several calls may be in flight at once: that is how the workloads pipeline.
   */
  publish(values: readonly Buffer[]): Promise<void>;
  close(): Promise<void>;
}

export interface Subscription {
  close(): Promise<void>;
}

/** What a channel is used for, so an adapter can declare it the way its users would. */
export type ChannelKind = 'stream' | 'queue';

export interface Channel {
  /** The name the workload gave; adapters derive queue/stream/subject names from it. */
  readonly name: string;
  /**
   * A publisher for this channel. `shared: true` asks for the system's one shared connection
   * (the scale workload publishes to 1,000 channels and must measure topics, not connections);
   * closing a shared publisher leaves the connection open until the system stops.
   */
  publisher(options?: { shared?: boolean }): Promise<Publisher>;
  /**
   * Starts a consumer that acknowledges each record. `group` names a competing-consumer group:
   * consumers sharing a group share the records, distinct groups each get every record. Groups
   * are named `g0` .. `g<fanOut-1>` (see RunningSystem.channel). Resolves once the consumer is
   * positioned, so records published afterwards are all delivered.
   */
  subscribe(group: string, onDelivery: DeliveryHandler): Promise<Subscription>;
  /** Deletes the channel and its records after a run, so later runs do not share the broker
   *  with a backlog left by earlier ones (a RabbitMQ queue holding 300 MB, say). */
  drop(): Promise<void>;
}

export interface SystemInfo {
  /** Row label, unique per configuration: `rabbitmq-quorum`, `redis-always`, `ferry-always`. */
  readonly id: string;
  /** The product, for version lookup and grouping: `rabbitmq`, `redis`, `ferry`. */
  readonly product: string;
  /** What a publish acknowledgement means on this row, in one sentence. */
  readonly durability: string;
  /** Workloads this system takes part in; the others print as `n/a` with the reason. */
  readonly workloads: ReadonlySet<WorkloadName>;
  /** Why a workload is missing, for the table's notes. */
  readonly missing?: Partial<Record<WorkloadName, string>>;
}

export interface RunningSystem {
  readonly info: SystemInfo;
  /** The process whose tree is the broker: CPU and RSS are read from /proc for it and its children. */
  readonly pid: number;
  readonly version: string;
  /** Declares a fresh stream/queue/topic; `fanOut` is the number of groups that will subscribe. */
  channel(name: string, kind: ChannelKind, fanOut: number): Promise<Channel>;
  /** Stops the server by its process id and removes its data folder. */
  stop(): Promise<void>;
}

export interface SystemAdapter {
  readonly info: SystemInfo;
  /** The Debian package that provides the server, when it is not Ferry itself. */
  readonly debianPackage?: string;
  start(dataDir: string): Promise<RunningSystem>;
}

/** One measured figure set for one system, workload and variant (record size or rate). */
export interface Measurement {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  megabytesPerSecond: number;
  latencyMs?: { p50: number; p99: number; p999: number };
  /** Broker CPU as a percentage of one core over the measured interval (tree of the broker pid). */
  brokerCpuPercent: number;
  /** Peak resident memory of the broker tree during the interval, MiB. */
  brokerRssMiB: number;
  /** CPU of the bench process itself (clients: producer and consumers), % of one core: near 100
   *  means the client, not the broker, set the pace. */
  clientCpuPercent: number;
  /** Set when the target rate or record count was not reached; printed as a note. */
  note?: string;
}

export interface WorkloadSettings {
  durationMs: number;
  /** How long the latency workload publishes at its fixed rate (its own: a p99 needs samples). */
  latencyDurationMs: number;
  recordBytes: number;
  /** Target records/s for the latency workload. */
  ratePerSecond: number;
  /** Topics for the scale workload. */
  topicCount: number;
  /** Pipelining: batches of this many records, this many batches in flight. */
  batchRecords: number;
  batchesInFlight: number;
  /** How long the consumers may lag behind before a run is cut short and flagged. */
  drainTimeoutMs: number;
}

export interface Workload {
  readonly name: WorkloadName;
  /** Run on a freshly started system (memory is the figure: nothing left by other workloads). */
  readonly needsFreshSystem?: boolean;
  /** Variants measured separately, such as record sizes or target rates. */
  variants(settings: WorkloadSettings): Array<{ label: string; settings: WorkloadSettings }>;
  run(system: RunningSystem, settings: WorkloadSettings, runId: string): Promise<Measurement>;
}

/** Unacknowledged deliveries a consumer may hold, the same for every system (prefetch, max ack
 *  pending, XREADGROUP COUNT, MQTT receive window). */
export const CONSUMER_PREFETCH = 1000;
