import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './helpers.ts';

const COMMANDS: readonly string[][] = [
  [],
  ['start'],
  ['topic'],
  ['topic', 'create'],
  ['topic', 'list'],
  ['topic', 'describe'],
  ['topic', 'delete'],
  ['topic', 'alter'],
  ['produce'],
  ['consume'],
  ['group'],
  ['group', 'list'],
  ['group', 'describe'],
  ['group', 'delete'],
  ['bench'],
  ['bench', 'produce'],
  ['bench', 'consume'],
  ['bench', 'e2e'],
];

test('--help on every command prints its usage and exits 0', async () => {
  // A few at a time: each child is a whole Node start.
  const results = [];
  for (let i = 0; i < COMMANDS.length; i += 4)
    results.push(...(await Promise.all(COMMANDS.slice(i, i + 4).map((words) => runCli([...words, '--help'])))));
  for (const [i, result] of results.entries()) {
    const words = COMMANDS[i]!;
    assert.equal(result.code, 0, `ferry ${words.join(' ')} --help: ${result.stderr}`);
    assert.match(result.stdout, new RegExp(`^Usage: ferry ${words.join(' ')}`.trim()), words.join(' '));
  }
});

test('client commands document --broker and FERRY_BROKER; start documents every config flag group', async () => {
  const produce = await runCli(['produce', '--help']);
  assert.match(produce.stdout, /--broker <host:port>.*default: "127\.0\.0\.1:7420", env:\s+FERRY_BROKER/s);
  const start = await runCli(['start', '--help']);
  for (const heading of ['Server options:', 'Storage options', 'Broker options:', 'Native protocol limits:'])
    assert.ok(start.stdout.includes(heading), heading);
  assert.match(start.stdout, /--flush-policy <always\|interval\|none>/);
});

test('a bad flag exits 2 with one clear error line', async () => {
  const result = await runCli(['topic', 'create', 'orders', '--partitions', 'many']);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, '');
  assert.equal(
    result.stderr,
    `error: USAGE: option '--partitions <n>' argument 'many' is invalid. expected an integer >= 1, got "many" (see 'ferry topic create --help')\n`,
  );
  const unknown = await runCli(['produce', 'orders', '--acks', 'all', '--bogus']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, `error: USAGE: unknown option '--bogus' (see 'ferry produce --help')\n`);
  const choice = await runCli(['produce', 'orders', '--acks', '2']);
  assert.equal(choice.code, 2);
  assert.match(choice.stderr, /^error: USAGE: option '--acks <acks>' argument '2' is invalid\. Allowed choices are all, 1, 0\./);
});

test('missing arguments, unknown commands and a bare command group exit 2', async () => {
  const missing = await runCli(['topic', 'describe']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^error: USAGE: missing required argument 'name'/);
  const unknown = await runCli(['topic', 'crate', 'x']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^error: USAGE: unknown command 'crate' \(Did you mean create\?\) \(see 'ferry topic --help'\)\n$/);
  const bare = await runCli(['topic']);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /Usage: ferry topic/);
});

test('a bad config value for start exits 2 naming the key and its source', async () => {
  const result = await runCli(['start', '--native-port', 'seventy'], { env: { FERRY_FLUSH_POLICY: 'always' } });
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    'error: INVALID_CONFIG: invalid value "seventy" for nativePort (flag --native-port): expected an integer from 0 to 65535\n',
  );
  const env = await runCli(['start'], { env: { FERRY_FLUSH_POLICY: 'sometimes' } });
  assert.equal(env.code, 2);
  assert.match(env.stderr, /^error: INVALID_CONFIG: invalid value "sometimes" for storage\.flushPolicy \(env FERRY_FLUSH_POLICY\)/);
});

test('a client command exits 1 with the error code when no broker answers', async () => {
  const result = await runCli(['topic', 'list', '--broker', '127.0.0.1:1']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^error: CONNECTION_CLOSED: .*127\.0\.0\.1:1.*ECONNREFUSED.*\n$/);
});
