import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../../common/logger.ts';
import { DEFAULT_RULES } from './default-rules.ts';
import { Dispatcher } from './dispatcher.ts';
import { evaluateCondition } from './evaluator.ts';
import { longestRangeMs, metricNames } from './expression.ts';
import { type AlertNotification, createNotifier, type NotifiedAlert, type Notifier } from './notifiers/index.ts';
import { type AlertRule, type AlertRuleConfig, checkRoutes, compileRule, type NotifierConfig } from './rule-config.ts';
import { type AlertState, RuleState } from './rule-state.ts';
import { SampleStore } from './sample-store.ts';
import { type Silence, type SilenceInput, Silences } from './silences.ts';

/** The `alerts` section of the config, as the server resolves it (docs/alerts.md). */
export interface AlertsConfig {
  enabled: boolean;
  defaultRules: boolean;
  evaluationIntervalMs: number;
  repeatIntervalMs: number;
  resolvedRetentionMs: number;
  maxSeries: number;
  maxInstancesPerRule: number;
  maxSilences: number;
  maxPendingNotifications: number;
  /** Comma-separated notifier names for rules that name none (and the default rules). */
  defaultNotifiers: string;
  rules: AlertRuleConfig[];
  notifiers: Record<string, NotifierConfig>;
}

export const DEFAULT_ALERTS_CONFIG: Readonly<AlertsConfig> = {
  enabled: true,
  defaultRules: true,
  evaluationIntervalMs: 15_000,
  repeatIntervalMs: 4 * 60 * 60 * 1000,
  resolvedRetentionMs: 15 * 60 * 1000,
  maxSeries: 10_000,
  maxInstancesPerRule: 1000,
  maxSilences: 1000,
  maxPendingNotifications: 1000,
  defaultNotifiers: '',
  rules: [],
  notifiers: {},
};

export interface AlertManagerOptions {
  registry: Registry;
  config?: Partial<AlertsConfig>;
  logger: Logger;
  /** Silences persist in `<dataDir>/alert-silences.json`; without it they live in memory. */
  dataDir?: string;
  now?: () => number;
  /** Replaces the built notifiers (tests). */
  notifiers?: Record<string, Notifier>;
  /** Runs before each sampling round: refreshes gauges that are filled at scrape time (lag, disk). */
  refresh?: () => Promise<void>;
}

export interface AlertInstanceView {
  fingerprint: string;
  state: Exclude<AlertState, 'inactive'>;
  labels: Record<string, string>;
  value: number;
  summary: string;
  description: string;
  activeAt: string;
  firedAt: string | null;
  resolvedAt: string | null;
  lastNotifiedAt: string | null;
  silencedBy: string | null;
}

export interface AlertRuleView {
  name: string;
  expr: string;
  for: number;
  severity: string;
  labels: Record<string, string>;
  description: string;
  notifiers: string[];
  isDefault: boolean;
  state: AlertState;
  instances: AlertInstanceView[];
}

export interface AlertsSnapshot {
  enabled: boolean;
  evaluationIntervalMs: number;
  lastEvaluationAt: string | null;
  rules: AlertRuleView[];
  silences: Silence[];
}

/**
 * Ferry's built-in alerting: every evaluation interval it samples the metrics the rules read,
 * evaluates each rule, steps each alert instance's state machine (rule-state.ts) and hands what
 * is due to the rule's notifiers. `evaluate()` runs one round on demand, which tests drive with
 * their own clock.
 */
export class AlertManager {
  readonly config: AlertsConfig;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly store: SampleStore;
  private readonly states: RuleState[];
  private readonly notifiers: Map<string, Notifier>;
  private readonly defaultRoute: string[];
  private readonly metricNames: Set<string>;
  private readonly dispatcher: Dispatcher;
  private readonly refresh: (() => Promise<void>) | undefined;
  readonly silences: Silences;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastEvaluationMs: number | null = null;

  constructor(options: AlertManagerOptions) {
    this.config = { ...DEFAULT_ALERTS_CONFIG, ...options.config };
    this.logger = options.logger.child({ component: 'alerts' });
    this.now = options.now ?? Date.now;
    this.refresh = options.refresh;
    const rules = this.buildRules();
    this.defaultRoute = this.config.defaultNotifiers
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    this.notifiers = new Map(
      options.notifiers
        ? Object.entries(options.notifiers)
        : Object.entries(this.config.notifiers).map(([name, c]) => [name, createNotifier(name, c)]),
    );
    checkRoutes(rules, [...this.notifiers.keys()], this.defaultRoute);
    this.states = rules.map((rule) => new RuleState(rule));
    this.metricNames = new Set(rules.flatMap((r) => [...metricNames(r.condition.expr)]));
    const longestMs = Math.max(0, ...rules.map((r) => longestRangeMs(r.condition.expr)));
    let droppedWarned = false;
    this.store = new SampleStore({
      registry: options.registry,
      // Enough samples to span the longest window, plus one at each edge.
      samplesPerSeries: Math.max(2, Math.ceil(longestMs / this.config.evaluationIntervalMs) + 2),
      maxSeries: this.config.maxSeries,
      onCollectError: (metric, error) =>
        this.logger.warn({ metric, err: (error as Error).message }, 'alert sampling: collecting a metric failed'),
      onSeriesDropped: (dropped) => {
        if (droppedWarned) return;
        droppedWarned = true;
        this.logger.warn({ dropped, maxSeries: this.config.maxSeries }, 'alert sampling: series above alerts.maxSeries are not evaluated');
      },
    });
    this.dispatcher = new Dispatcher({ maxPending: this.config.maxPendingNotifications, logger: this.logger });
    this.silences = new Silences({
      maxSilences: this.config.maxSilences,
      filePath: options.dataDir ? join(options.dataDir, 'alert-silences.json') : null,
      logger: this.logger,
      now: this.now,
    });
  }

  /** Loads persisted silences and starts the evaluation timer (when enabled). */
  async start(): Promise<void> {
    await this.silences.load();
    if (!this.config.enabled || this.timer) return;
    this.timer = setInterval(() => {
      // A round still running (a slow collect) is not doubled up.
      if (this.running) return;
      this.evaluate().catch((error: unknown) => this.logger.error({ err: (error as Error).message }, 'alert evaluation failed'));
    }, this.config.evaluationIntervalMs);
    this.timer.unref();
  }

  /** Stops evaluating; waits for notifications in flight (their own timeouts bound the wait) and the silences file. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.dispatcher.idle();
    await this.silences.flush();
  }

  /** One round: sample, evaluate every rule, dispatch what is due. */
  evaluate(): Promise<void> {
    const round = this.round().finally(() => {
      this.running = null;
    });
    this.running = round;
    return round;
  }

  /** Resolves when every notification dispatched so far has been delivered or has failed. */
  notificationsIdle(): Promise<void> {
    return this.dispatcher.idle();
  }

  get notificationStats(): { sent: number; failed: number; dropped: number; pending: number } {
    const d = this.dispatcher;
    return { sent: d.sent, failed: d.failed, dropped: d.dropped, pending: d.pendingCount };
  }

  addSilence(input: SilenceInput): Silence {
    const silence = this.silences.add(input);
    this.logger.info({ id: silence.id, matchers: silence.matchers, endsAt: silence.endsAt }, 'alert silence added');
    return silence;
  }

  expireSilence(id: string): boolean {
    const isExpired = this.silences.expire(id);
    if (isExpired) this.logger.info({ id }, 'alert silence expired');
    return isExpired;
  }

  snapshot(): AlertsSnapshot {
    return {
      enabled: this.config.enabled,
      evaluationIntervalMs: this.config.evaluationIntervalMs,
      lastEvaluationAt: this.lastEvaluationMs === null ? null : new Date(this.lastEvaluationMs).toISOString(),
      rules: this.states.map((s) => this.ruleView(s)),
      silences: this.silences.active(),
    };
  }

  private async round(): Promise<void> {
    if (this.refresh) {
      try {
        await this.refresh();
      } catch (error) {
        // Stale gauges are better than no evaluation: the rules that read counters still work.
        this.logger.warn({ err: (error as Error).message }, 'alert evaluation: refreshing scrape-time gauges failed');
      }
    }
    const nowMs = this.now();
    await this.store.sample(this.metricNames, nowMs);
    for (const state of this.states) {
      let due: NotifiedAlert[];
      try {
        const results = evaluateCondition(state.rule.condition, this.store, nowMs);
        const step = state.step(results, {
          nowMs,
          repeatIntervalMs: this.config.repeatIntervalMs,
          resolvedRetentionMs: this.config.resolvedRetentionMs,
          maxInstances: this.config.maxInstancesPerRule,
          silencing: (labels) => this.silences.silencing(labels),
        });
        if (step.dropped > 0) {
          this.logger.warn(
            { rule: state.rule.name, dropped: step.dropped, max: this.config.maxInstancesPerRule },
            'alert instances above alerts.maxInstancesPerRule ignored',
          );
        }
        due = step.due;
      } catch (error) {
        // One broken rule must not stop the others being evaluated.
        this.logger.error({ rule: state.rule.name, err: (error as Error).message }, 'alert rule evaluation failed');
        continue;
      }
      if (due.length > 0) this.dispatch(state.rule, due);
    }
    this.lastEvaluationMs = nowMs;
  }

  private dispatch(rule: AlertRule, alerts: NotifiedAlert[]): void {
    for (const alert of alerts) {
      const log = alert.status === 'firing' ? this.logger.warn.bind(this.logger) : this.logger.info.bind(this.logger);
      log({ rule: rule.name, severity: rule.severity, labels: alert.labels, value: alert.value }, `alert ${alert.status}`);
    }
    const status = alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
    for (const name of rule.notifiers ?? this.defaultRoute) {
      const notifier = this.notifiers.get(name);
      if (!notifier) continue;
      const notification: AlertNotification = { receiver: name, rule: rule.name, severity: rule.severity, status, alerts };
      this.dispatcher.enqueue(notifier, notification);
    }
  }

  /** Default rules first (a user rule of the same name replaces one), then the user's rules. */
  private buildRules(): AlertRule[] {
    const userNames = new Set(this.config.rules.map((r) => r.name));
    const defaults = this.config.defaultRules ? DEFAULT_RULES.filter((r) => !userNames.has(r.name)).map((r) => compileRule(r, true)) : [];
    return [...defaults, ...this.config.rules.map((r) => compileRule(r, false))];
  }

  private ruleView(state: RuleState): AlertRuleView {
    const rule = state.rule;
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      name: rule.name,
      expr: rule.expr,
      for: rule.forMs,
      severity: rule.severity,
      labels: rule.labels,
      description: rule.description,
      notifiers: rule.notifiers ?? this.defaultRoute,
      isDefault: rule.isDefault,
      state: state.state,
      instances: state.list().map((i) => ({
        fingerprint: i.fingerprint,
        state: i.state,
        labels: { ...i.labels },
        value: i.value,
        summary: i.summary,
        description: i.description,
        activeAt: new Date(i.activeAtMs).toISOString(),
        firedAt: iso(i.firedAtMs),
        resolvedAt: iso(i.resolvedAtMs),
        lastNotifiedAt: iso(i.lastNotifiedAtMs),
        silencedBy: i.silencedBy,
      })),
    };
  }
}

/**
 * The checks that need more than one field (run at config load): every notifier a user rule or
 * `defaultNotifiers` names exists. Each rule and notifier was already checked on its own.
 */
export function checkAlertsConfig(config: Pick<AlertsConfig, 'rules' | 'notifiers' | 'defaultNotifiers'>): void {
  const defaults = config.defaultNotifiers
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  checkRoutes(
    config.rules.map((r) => ({ name: r.name, notifiers: r.notifiers ?? null })),
    Object.keys(config.notifiers),
    defaults,
  );
}
