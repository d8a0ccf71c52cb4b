import { createHash } from 'node:crypto';
import type { VectorSample } from './evaluator.ts';
import type { NotifiedAlert } from './notifiers/types.ts';
import type { AlertRule } from './rule-config.ts';
import type { Labels } from './sample-store.ts';
import { renderTemplate } from './template.ts';

/**
 * The alert instances of one rule and their state machine:
 *
 *   inactive --condition holds--> pending --held for `for`--> firing --condition clears--> resolved
 *   pending --condition clears--> inactive (forgotten, nothing sent)
 *   resolved --condition holds again--> pending (a new episode)
 *
 * Each series the condition returns is its own instance, keyed by a fingerprint of its labels.
 * Notifications are de-duplicated per instance: one `firing` when it starts to fire, again only
 * every repeat interval while it keeps firing, and one `resolved` if a `firing` was sent. A
 * silenced instance keeps its state but sends nothing; when the silence ends it is sent.
 */

export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

export interface AlertInstance {
  fingerprint: string;
  labels: Labels;
  value: number;
  state: Exclude<AlertState, 'inactive'>;
  activeAtMs: number;
  firedAtMs: number | null;
  resolvedAtMs: number | null;
  summary: string;
  description: string;
  /** What the receivers were last told, and when: the de-duplication state. */
  notifiedState: 'firing' | 'resolved' | null;
  lastNotifiedAtMs: number | null;
  silencedBy: string | null;
}

export interface StepContext {
  nowMs: number;
  repeatIntervalMs: number;
  resolvedRetentionMs: number;
  maxInstances: number;
  silencing: (labels: Labels) => string | null;
}

export interface StepResult {
  /** Alerts to send now (state changes and repeats). */
  due: NotifiedAlert[];
  /** Series beyond maxInstances that were not tracked. */
  dropped: number;
}

export class RuleState {
  readonly rule: AlertRule;
  private readonly instances = new Map<string, AlertInstance>();

  constructor(rule: AlertRule) {
    this.rule = rule;
  }

  list(): AlertInstance[] {
    return [...this.instances.values()];
  }

  /** The rule's overall state: its most advanced instance's. */
  get state(): AlertState {
    let state: AlertState = 'inactive';
    for (const instance of this.instances.values()) {
      if (instance.state === 'firing') return 'firing';
      if (instance.state === 'pending') state = 'pending';
      else if (state === 'inactive') state = 'resolved';
    }
    return state;
  }

  /** Applies one evaluation's results and returns what to notify. */
  step(results: readonly VectorSample[], context: StepContext): StepResult {
    const { nowMs } = context;
    const seen = new Set<string>();
    let dropped = 0;
    for (const sample of results) {
      const labels = this.alertLabels(sample.labels);
      const fingerprint = fingerprintOf(labels);
      seen.add(fingerprint);
      let instance = this.instances.get(fingerprint);
      if (!instance || instance.state === 'resolved') {
        if (!instance && this.instances.size >= context.maxInstances) {
          dropped++;
          continue;
        }
        instance = {
          fingerprint,
          labels,
          value: sample.value,
          state: 'pending',
          activeAtMs: nowMs,
          firedAtMs: null,
          resolvedAtMs: null,
          summary: '',
          description: '',
          notifiedState: null,
          lastNotifiedAtMs: null,
          silencedBy: null,
        };
        this.instances.set(fingerprint, instance);
      }
      instance.value = sample.value;
      instance.summary = renderTemplate(this.rule.summary, labels, sample.value);
      instance.description = renderTemplate(this.rule.description, labels, sample.value);
      if (instance.state === 'pending' && nowMs - instance.activeAtMs >= this.rule.forMs) {
        instance.state = 'firing';
        instance.firedAtMs = nowMs;
      }
    }
    for (const [fingerprint, instance] of this.instances) {
      if (seen.has(fingerprint)) continue;
      if (instance.state === 'pending') this.instances.delete(fingerprint);
      else if (instance.state === 'firing') {
        instance.state = 'resolved';
        instance.resolvedAtMs = nowMs;
      } else if (instance.resolvedAtMs !== null && nowMs - instance.resolvedAtMs >= context.resolvedRetentionMs) {
        this.instances.delete(fingerprint);
      }
    }
    return { due: this.due(context), dropped };
  }

  private due(context: StepContext): NotifiedAlert[] {
    const due: NotifiedAlert[] = [];
    const repeatMs = this.rule.repeatIntervalMs ?? context.repeatIntervalMs;
    for (const instance of this.instances.values()) {
      instance.silencedBy = instance.state === 'pending' ? null : context.silencing(instance.labels);
      if (instance.silencedBy !== null) continue;
      const isFiringDue =
        instance.state === 'firing' &&
        (instance.notifiedState !== 'firing' || context.nowMs - (instance.lastNotifiedAtMs ?? 0) >= repeatMs);
      const isResolvedDue = instance.state === 'resolved' && instance.notifiedState === 'firing';
      if (!isFiringDue && !isResolvedDue) continue;
      instance.notifiedState = instance.state === 'firing' ? 'firing' : 'resolved';
      instance.lastNotifiedAtMs = context.nowMs;
      due.push(this.toNotified(instance));
    }
    return due;
  }

  toNotified(instance: AlertInstance): NotifiedAlert {
    return {
      fingerprint: instance.fingerprint,
      rule: this.rule.name,
      status: instance.state === 'resolved' ? 'resolved' : 'firing',
      severity: this.rule.severity,
      labels: { ...instance.labels },
      annotations: { summary: instance.summary, description: instance.description },
      value: instance.value,
      activeAt: new Date(instance.activeAtMs).toISOString(),
      firedAt: instance.firedAtMs === null ? null : new Date(instance.firedAtMs).toISOString(),
      resolvedAt: instance.resolvedAtMs === null ? null : new Date(instance.resolvedAtMs).toISOString(),
    };
  }

  /** Series labels, then the rule's own labels, then alertname and severity (which win, as in Prometheus). */
  private alertLabels(series: Labels): Labels {
    const labels: Record<string, string> = { ...series, ...this.rule.labels, alertname: this.rule.name, severity: this.rule.severity };
    const sorted: Record<string, string> = {};
    for (const name of Object.keys(labels).sort()) sorted[name] = labels[name]!;
    return sorted;
  }
}

export function fingerprintOf(labels: Labels): string {
  return createHash('sha256').update(JSON.stringify(labels)).digest('hex').slice(0, 16);
}
