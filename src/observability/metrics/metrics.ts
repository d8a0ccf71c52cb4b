import { collectDefaultMetrics, Registry } from 'prom-client';
import { LiveBrokerMetrics } from './broker-metrics.ts';
import { defineMetrics } from './definitions.ts';
import { type BrokerMetrics, NOOP_BROKER_METRICS } from './recorder.ts';
import { type BrokerStateSource, collectState } from './state-collector.ts';

export interface MetricsOptions {
  /** false: every recorder is a no-op and `scrape` is unavailable (`metrics.enabled`). */
  enabled: boolean;
  /** Sampling resolution of prom-client's event-loop delay monitor. */
  eventLoopResolutionMs: number;
}

export interface FerryMetrics {
  readonly isEnabled: boolean;
  /** What the broker and the protocol sessions record into. */
  readonly recorder: BrokerMetrics;
  /** Where scrape-time gauges (offsets, lag, backlog, disk) come from; set once the broker is open. */
  setStateSource(source: BrokerStateSource): void;
  /** Prometheus text exposition of every metric, state gauges collected now. */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** The registry itself, for in-process readers (alert rules); null when disabled. */
  readonly registry: Registry | null;
  /** Refreshes the scrape-time gauges without rendering text (alert evaluation reads them next). */
  collect(): Promise<void>;
}

/**
 * One registry per broker (not prom-client's global one), so several brokers in one process
 * (tests, benches) keep their numbers apart.
 */
export function createFerryMetrics(options: MetricsOptions): FerryMetrics {
  if (!options.enabled) {
    return {
      isEnabled: false,
      recorder: NOOP_BROKER_METRICS,
      setStateSource() {},
      scrape: () => Promise.reject(new Error('metrics are disabled (metrics.enabled=false)')),
      registry: null,
      collect: () => Promise.resolve(),
    };
  }
  const registry = new Registry();
  // process_* (CPU, resident memory, open files) and nodejs_* (heap, event-loop lag).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: options.eventLoopResolutionMs });
  dropTotalSuffixedGauges(registry);
  const defs = defineMetrics(registry);
  const recorder = new LiveBrokerMetrics(defs);
  let source: BrokerStateSource | null = null;
  // Concurrent scrapes share one collection: the gauges are reset and refilled as a whole.
  let collecting: Promise<void> | null = null;
  const collect = async (): Promise<void> => {
    recorder.collect();
    if (source === null) return;
    const current = source;
    const partitions = [...current.partitions()];
    const existing = new Set(partitions.map((p) => `${p.topic}\0${p.partition}`));
    recorder.retainPartitions((topic, partition) => existing.has(`${topic}\0${partition}`));
    await collectState(defs, {
      dataDir: current.dataDir,
      partitions: () => partitions,
      groupLags: () => current.groupLags(),
      subscriptions: () => current.subscriptions(),
    });
  };
  return {
    isEnabled: true,
    recorder,
    setStateSource(next) {
      source = next;
    },
    async scrape() {
      collecting ??= collect().finally(() => {
        collecting = null;
      });
      await collecting;
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    registry,
    async collect() {
      collecting ??= collect().finally(() => {
        collecting = null;
      });
      await collecting;
    },
  };
}

/**
 * prom-client adds `nodejs_active_{handles,requests,resources}_total` gauges, which `promtool
 * check metrics` rejects (a `_total` suffix promises a counter). Their per-type siblings without
 * the suffix (`nodejs_active_handles{type}` ...) carry the same numbers, so the totals go.
 */
function dropTotalSuffixedGauges(registry: Registry): void {
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
}
