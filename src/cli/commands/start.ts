import { type Command, Option } from 'commander';
import { CONFIG_OPTIONS, type ConfigSection, type FerryConfig } from '../../server/config.ts';
import { loadConfig } from '../../server/config-sources.ts';
import type { RunningFerry } from '../../server/server.ts';
import { describeError } from '../exit.ts';
import { print } from '../output.ts';

const GROUP_HEADINGS: Readonly<Record<ConfigSection, string>> = {
  server: 'Server options:',
  storage: 'Storage options (defaults for every topic):',
  broker: 'Broker options:',
  native: 'Native protocol limits:',
  kafka: 'Kafka protocol limits:',
  metrics: 'Metrics options:',
  queues: 'Queue options (more in the config file, docs/queues.md):',
  http: 'HTTP admin API bounds (docs/http-api.md):',
  alerts: 'Alerting options (rules and notifiers in the config file, docs/alerts.md):',
};

/** `ferry start`: runs a broker in the foreground until SIGINT or SIGTERM. */
export function registerStartCommand(program: Command): void {
  const start = program
    .command('start')
    .description('run a Ferry broker in the foreground (stop it with Ctrl-C or SIGTERM)')
    .option('--config <file>', 'config file: JSON if it ends in .json, otherwise key=value lines (env FERRY_CONFIG)');
  for (const option of CONFIG_OPTIONS) {
    if (option.flag === null) continue; // a file key only
    // No commander default: only flags actually given may override env and file.
    const description = `${option.spec.description} (default: ${String(option.spec.defaultValue)}; env ${option.env})`;
    start.addOption(
      new Option(`${option.flag} <${option.spec.valueHint.replace(/^<|>$/g, '')}>`, description).helpGroup(GROUP_HEADINGS[option.section]),
    );
  }
  start.action(async (options: Record<string, unknown>) => {
    const config = await loadConfig({ flags: options, env: process.env, configPath: options.config as string | undefined });
    // Loaded here, not at the top: client commands then never load storage, broker and fastify.
    const { startFerry } = await import('../../server/server.ts');
    const ferry = await startFerry(config);
    const kafka = ferry.kafkaPort === null ? '' : `, kafka ${config.host}:${ferry.kafkaPort}`;
    print(`ferry ready: native ${config.host}:${ferry.nativePort}${kafka}, http ${config.host}:${ferry.httpPort}, data ${config.dataDir}`);
    stopOnSignals(ferry, config);
  });
}

/**
 * First SIGINT/SIGTERM: graceful close, then exit 0 (1 if closing failed or took longer than
 * twice the shutdown timeout). A second signal exits at once with code 1: the operator insisted.
 */
function stopOnSignals(ferry: RunningFerry, config: FerryConfig): void {
  let isStopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (isStopping) {
      process.stderr.write(`ferry: ${signal} again, exiting without a clean shutdown\n`);
      process.exit(1);
    }
    isStopping = true;
    process.stderr.write(`ferry: ${signal} received, shutting down (send it again to force)\n`);
    // Draining connections is bounded by shutdownTimeoutMs inside close(); this is the backstop
    // for a flush that hangs (a dead disk), so the process never outlives its supervisor's patience.
    const watchdog = setTimeout(() => {
      process.stderr.write(`error: TIMEOUT: shutdown took longer than ${2 * config.shutdownTimeoutMs} ms\n`);
      process.exit(1);
    }, 2 * config.shutdownTimeoutMs);
    watchdog.unref();
    ferry.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${describeError(error).line}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
