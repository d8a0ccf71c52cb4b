import type { NotifierConfig } from '../rule-config.ts';
import { commandNotifier } from './command.ts';
import { emailNotifier } from './email.ts';
import type { Notifier } from './types.ts';
import { webhookNotifier } from './webhook.ts';

export function createNotifier(name: string, config: NotifierConfig): Notifier {
  switch (config.type) {
    case 'webhook':
      return webhookNotifier(name, config);
    case 'email':
      return emailNotifier(name, config);
    case 'command':
      return commandNotifier(name, config);
  }
}

export type { AlertNotification, NotifiedAlert, Notifier } from './types.ts';
