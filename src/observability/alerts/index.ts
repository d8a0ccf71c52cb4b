export {
  type AlertInstanceView,
  AlertManager,
  type AlertManagerOptions,
  type AlertRuleView,
  type AlertsConfig,
  type AlertsSnapshot,
  checkAlertsConfig,
  DEFAULT_ALERTS_CONFIG,
} from './alert-manager.ts';
export { DEFAULT_RULES } from './default-rules.ts';
export type { AlertNotification, NotifiedAlert, Notifier } from './notifiers/index.ts';
export { type AlertRuleConfig, checkNotifiersConfig, checkRulesConfig, type NotifierConfig } from './rule-config.ts';
export type { Silence, SilenceInput, SilenceMatcher } from './silences.ts';
