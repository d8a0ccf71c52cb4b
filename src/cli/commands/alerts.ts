import { type Command, InvalidArgumentError, Option } from 'commander';
import { ErrorCode, FerryError, isErrorCode } from '../../common/errors.ts';
import type { AlertsSnapshot, Silence, SilenceMatcher } from '../../observability/alerts/index.ts';
import { formatJson, formatTable, print } from '../output.ts';

/** Where `ferry alerts` finds the broker's HTTP port unless `--http` says otherwise. */
export const DEFAULT_HTTP_URL = 'http://127.0.0.1:7480';

interface HttpOption {
  http: string;
}

interface JsonOption {
  json?: boolean;
}

function addHttpOption(command: Command): Command {
  return command.addOption(new Option('--http <url>', "the broker's HTTP port (GET /api/alerts)").default(DEFAULT_HTTP_URL));
}

/** `ferry alerts [list]`, `ferry alerts silence add|list|expire`. */
export function registerAlertsCommands(program: Command): void {
  const alerts = program.command('alerts').description('list alert rules and their states; manage silences (docs/alerts.md)');

  addHttpOption(
    alerts
      .command('list', { isDefault: true })
      .description('list alert rules, their states and active instances')
      .option('--json', 'print JSON'),
  ).action(async (options: HttpOption & JsonOption) => {
    const snapshot = await callApi<AlertsSnapshot>(options.http, 'GET', '/api/alerts');
    print(options.json ? formatJson(snapshot) : formatSnapshot(snapshot));
  });

  const silence = alerts.command('silence').description('add, list and expire silences');
  addHttpOption(
    silence
      .command('add')
      .description('mute notifications of alerts whose labels match, until the silence expires')
      .requiredOption(
        '-m, --matcher <label=value>',
        'label matcher: name=value, name!=value, name=~regex or name!~regex (repeatable; all must match)',
        collectMatcher,
        [] as SilenceMatcher[],
      )
      .requiredOption('-d, --duration <duration>', 'how long, e.g. 30m, 2h, 1d', durationArg)
      .option('--comment <text>', 'why', '')
      .option('--created-by <name>', 'who', process.env.USER ?? '')
      .option('--json', 'print JSON'),
  ).action(
    async (options: HttpOption & JsonOption & { matcher: SilenceMatcher[]; duration: number; comment: string; createdBy: string }) => {
      const created = await callApi<Silence>(options.http, 'POST', '/api/silences', {
        matchers: options.matcher,
        durationMs: options.duration,
        comment: options.comment,
        createdBy: options.createdBy,
      });
      print(options.json ? formatJson(created) : `silence ${created.id} until ${created.endsAt}`);
    },
  );

  addHttpOption(silence.command('list').description('list active silences').option('--json', 'print JSON')).action(
    async (options: HttpOption & JsonOption) => {
      const { silences } = await callApi<AlertsSnapshot>(options.http, 'GET', '/api/alerts');
      if (options.json) print(formatJson(silences));
      else
        print(
          formatTable(
            ['ID', 'ENDS', 'MATCHERS', 'CREATED-BY', 'COMMENT'],
            silences.map((s) => [s.id, s.endsAt, s.matchers.map(formatMatcher).join(','), s.createdBy || null, s.comment || null]),
          ),
        );
    },
  );

  addHttpOption(silence.command('expire').description('end a silence now').argument('<id>', 'silence id')).action(
    async (id: string, options: HttpOption) => {
      await callApi<null>(options.http, 'DELETE', `/api/silences/${encodeURIComponent(id)}`);
      print(`expired silence ${id}`);
    },
  );
}

const MATCHER = /^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)(.*)$/;

function collectMatcher(text: string, previous: SilenceMatcher[]): SilenceMatcher[] {
  const match = MATCHER.exec(text.trim());
  if (!match) throw new InvalidArgumentError(`expected name=value, name!=value, name=~regex or name!~regex, got ${JSON.stringify(text)}`);
  const [, name, op, rawValue] = match;
  // Accept the value quoted as in PromQL (topic="orders"), or bare.
  const value = /^".*"$/.test(rawValue!) ? rawValue!.slice(1, -1) : rawValue!;
  return [...previous, { name: name!, value, isRegex: op === '=~' || op === '!~', isEqual: op === '=' || op === '=~' }];
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function durationArg(text: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0)
    throw new InvalidArgumentError(`expected a duration such as 30m, 2h or 1d, got ${JSON.stringify(text)}`);
  return Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
}

function formatMatcher(m: SilenceMatcher): string {
  const op = m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=';
  return `${m.name}${op}"${m.value}"`;
}

function formatSnapshot(snapshot: AlertsSnapshot): string {
  const rules = formatTable(
    ['RULE', 'STATE', 'SEVERITY', 'FIRING', 'PENDING', 'FOR', 'EXPR'],
    snapshot.rules.map((r) => [
      r.name,
      r.state,
      r.severity,
      r.instances.filter((i) => i.state === 'firing').length,
      r.instances.filter((i) => i.state === 'pending').length,
      `${r.for / 1000}s`,
      r.expr,
    ]),
  );
  const active = snapshot.rules.flatMap((r) => r.instances.filter((i) => i.state !== 'resolved').map((i) => ({ rule: r.name, ...i })));
  const parts = [rules];
  if (active.length > 0) {
    parts.push(
      '',
      formatTable(
        ['RULE', 'STATE', 'VALUE', 'SINCE', 'SILENCED', 'LABELS'],
        active.map((i) => [
          i.rule,
          i.state,
          i.value,
          i.firedAt ?? i.activeAt,
          i.silencedBy ? 'yes' : 'no',
          Object.entries(i.labels)
            .filter(([k]) => k !== 'alertname' && k !== 'severity')
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        ]),
      ),
    );
  }
  if (!snapshot.enabled) parts.push('', 'alerting is off (alerts.enabled=false): rules are not evaluated');
  if (snapshot.silences.length > 0) parts.push('', `${snapshot.silences.length} active silence(s): ferry alerts silence list`);
  return parts.join('\n');
}

/** One JSON call to the broker's HTTP API; its JSON error body becomes a FerryError with its code. */
async function callApi<T>(baseUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  let url: URL;
  try {
    url = new URL(path, baseUrl);
  } catch {
    throw new FerryError(ErrorCode.INVALID_REQUEST, `--http: not a URL: ${baseUrl}`);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new FerryError(ErrorCode.CONNECTION_CLOSED, `cannot reach ${url.origin}: ${cause}`);
  }
  const text = await response.text();
  if (!response.ok) {
    let code: string = ErrorCode.UNKNOWN_SERVER_ERROR;
    let message = `${method} ${path} answered ${response.status}`;
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (parsed.error?.message) message = parsed.error.message;
      if (parsed.error?.code) code = parsed.error.code;
    } catch {
      // Not our JSON error body (a proxy page): the status line says enough.
    }
    throw new FerryError(isErrorCode(code) ? code : ErrorCode.INVALID_REQUEST, isErrorCode(code) ? message : `${code}: ${message}`);
  }
  return (text === '' ? null : JSON.parse(text)) as T;
}
