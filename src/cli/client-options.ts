import { type Command, InvalidArgumentError, Option } from 'commander';
import type { FerryClient } from '../client/index.ts';

/** Where client commands find the broker unless `--broker` or `FERRY_BROKER` says otherwise. */
export const DEFAULT_BROKER = '127.0.0.1:7420';

/** Adds `--broker HOST:PORT` (env FERRY_BROKER) to a client command. */
export function addBrokerOption(command: Command): Command {
  return command.addOption(new Option('--broker <host:port>', 'broker address').env('FERRY_BROKER').default(DEFAULT_BROKER));
}

export interface BrokerOptions {
  broker: string;
}

/** Connects, runs `work`, then closes the client (flushing producers, committing consumers). */
export async function withClient<T>(options: BrokerOptions, work: (client: FerryClient) => Promise<T>): Promise<T> {
  // Loaded on use, so `--help` and usage errors answer without loading the client.
  const { connect } = await import('../client/index.ts');
  // The client's own error already names the address (`cannot reach ferry://host:port: ...`).
  const client = await connect(options.broker, { clientId: 'ferry-cli', connectTimeoutMs: 5000 });
  let result: T;
  try {
    result = await work(client);
  } catch (error) {
    // The command failed already: drop the connections rather than wait on more retries.
    client.destroy();
    throw error;
  }
  await client.close();
  return result;
}

/** commander argParser: an integer >= min. */
export function intArg(min: number): (value: string) => number {
  return (value) => {
    const trimmed = value.trim().replaceAll('_', '');
    const parsed = Number(trimmed);
    if (!/^-?\d+$/.test(trimmed) || !Number.isSafeInteger(parsed) || parsed < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}, got ${JSON.stringify(value)}`);
    }
    return parsed;
  };
}

/** commander argParser for repeatable / variadic `k=v` options: collects into one object. */
export function collectKeyValue(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const equals = value.indexOf('=');
  if (equals <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(value)}`);
  return { ...previous, [value.slice(0, equals).trim()]: value.slice(equals + 1).trim() };
}

/** commander argParser for repeatable / variadic plain values. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
