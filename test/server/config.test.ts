import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_BROKER_CONFIG } from '../../src/broker/config.ts';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { DEFAULT_KAFKA_LIMITS } from '../../src/protocols/kafka/limits.ts';
import { DEFAULT_NATIVE_LIMITS } from '../../src/protocols/native/limits.ts';
import { CONFIG_OPTIONS, DEFAULT_FERRY_CONFIG, resolveConfig } from '../../src/server/config.ts';
import { envEntries, flagEntries, loadConfig, parsePropertiesConfig } from '../../src/server/config-sources.ts';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function assertConfigError(error: unknown, pattern: RegExp): true {
  assert.ok(error instanceof FerryError, `expected a FerryError, got ${String(error)}`);
  assert.equal(error.code, ErrorCode.INVALID_CONFIG);
  assert.match(error.message, pattern);
  return true;
}

test('defaults: data in ./data, bound to 127.0.0.1, ports 7420 and 7480, Kafka auto, flush always', () => {
  assert.equal(DEFAULT_FERRY_CONFIG.kafkaPort, 'auto');
  assert.equal(DEFAULT_FERRY_CONFIG.dataDir, './data');
  assert.equal(DEFAULT_FERRY_CONFIG.host, '127.0.0.1');
  assert.equal(DEFAULT_FERRY_CONFIG.nativePort, 7420);
  assert.equal(DEFAULT_FERRY_CONFIG.httpPort, 7480);
  assert.equal(DEFAULT_FERRY_CONFIG.storage.flushPolicy, 'always');
});

test('native and Kafka limits and broker options default to what their own layers default to', () => {
  assert.deepEqual(DEFAULT_FERRY_CONFIG.native, { ...DEFAULT_NATIVE_LIMITS });
  assert.deepEqual(DEFAULT_FERRY_CONFIG.kafka, { ...DEFAULT_KAFKA_LIMITS });
  const { log: _log, ...brokerDefaults } = DEFAULT_BROKER_CONFIG;
  assert.deepEqual(DEFAULT_FERRY_CONFIG.broker, brokerDefaults);
});

test('precedence: flags over env over file over defaults', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'ferry.json');
  await writeFile(
    file,
    JSON.stringify({ dataDir: '/from-file', nativePort: 1111, httpPort: 2221, storage: { flushPolicy: 'none' }, logLevel: 'warn' }),
  );
  const config = await loadConfig({
    configPath: file,
    env: { FERRY_NATIVE_PORT: '2222', FERRY_HTTP_PORT: '3332', FERRY_FLUSH_POLICY: 'interval' },
    flags: { nativePort: '3333' },
  });
  assert.equal(config.nativePort, 3333, 'flag beats env and file');
  assert.equal(config.httpPort, 3332, 'env beats file');
  assert.equal(config.storage.flushPolicy, 'interval', 'env beats file in a section');
  assert.equal(config.dataDir, '/from-file', 'file beats default');
  assert.equal(config.logLevel, 'warn');
  assert.equal(config.host, '127.0.0.1', 'default when nothing sets it');
});

test('FERRY_CONFIG names the file when --config is absent', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'ferry.properties');
  await writeFile(
    file,
    '# comment\nnativePort = 5000\nstorage.flushPolicy=interval\nstorage.flushIntervalMs=250\n\nnative.maxConnections=7\n',
  );
  const config = await loadConfig({ env: { FERRY_CONFIG: file } });
  assert.equal(config.nativePort, 5000);
  assert.equal(config.storage.flushPolicy, 'interval');
  assert.equal(config.storage.flushIntervalMs, 250);
  assert.equal(config.native.maxConnections, 7);
});

test('values are parsed by type: integers with underscores, booleans, enums', () => {
  const config = resolveConfig({
    env: envEntries({ FERRY_SEGMENT_BYTES: '1_048_576', FERRY_AUTO_CREATE_TOPICS: 'false', FERRY_TIMESTAMP_TYPE: 'LogAppendTime' }),
    flags: flagEntries({ retentionMs: '-1', json: true, unrelated: 'x' }),
  });
  assert.equal(config.storage.segmentBytes, 1_048_576);
  assert.equal(config.broker.autoCreateTopics, false);
  assert.equal(config.storage.timestampType, 'LogAppendTime');
  assert.equal(config.storage.retentionMs, -1);
});

test('a bad value names the key, the value and its source', () => {
  assert.throws(
    () => resolveConfig({ env: envEntries({ FERRY_NATIVE_PORT: 'abc' }) }),
    (e) => assertConfigError(e, /"abc" for nativePort \(env FERRY_NATIVE_PORT\): expected an integer from 0 to 65535/),
  );
  assert.throws(
    () => resolveConfig({ flags: flagEntries({ flushPolicy: 'sometimes' }) }),
    (e) => assertConfigError(e, /storage\.flushPolicy \(flag --flush-policy\): expected one of always, interval, none/),
  );
  assert.throws(
    () => resolveConfig({ flags: flagEntries({ httpPort: '70000' }) }),
    (e) => assertConfigError(e, /httpPort \(flag --http-port\)/),
  );
  assert.throws(
    () => resolveConfig({ flags: flagEntries({ kafkaPort: 'sometimes' }) }),
    (e) => assertConfigError(e, /kafkaPort \(flag --kafka-port\): expected auto or an integer from -1 to 65535/),
  );
  assert.throws(
    () => resolveConfig({ file: [{ key: 'broker.autoCreateTopics', raw: 'yes', origin: 'file f.json' }] }),
    (e) => assertConfigError(e, /broker\.autoCreateTopics \(file f\.json\): expected true or false/),
  );
});

test('an unknown key is refused with its source and a suggestion', async (t) => {
  assert.throws(
    () => envEntries({ FERRY_NATIVE_PROT: '1' }),
    (e) => assertConfigError(e, /unknown config key FERRY_NATIVE_PROT in env FERRY_NATIVE_PROT \(did you mean FERRY_NATIVE_PORT\?\)/),
  );
  const dir = await tempDir(t);
  const file = join(dir, 'ferry.json');
  await writeFile(file, JSON.stringify({ storage: { flushPolicyy: 'always' } }));
  await assert.rejects(loadConfig({ configPath: file }), (e) =>
    assertConfigError(e, /unknown config key storage\.flushPolicyy in file .*ferry\.json \(did you mean storage\.flushPolicy\?\)/),
  );
});

test('FERRY_ variables of other tools are not config, and empty values count as unset', () => {
  assert.deepEqual(envEntries({ FERRY_BROKER: 'h:1', FERRY_SEED: '42', FERRY_DATA_DIR: '', PATH: '/bin' }), []);
});

test('file errors: missing file, bad JSON, non-scalar value, properties line without =', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(loadConfig({ configPath: join(dir, 'missing.json') }), (e) =>
    assertConfigError(e, /cannot read config file .*missing\.json: ENOENT/),
  );
  const bad = join(dir, 'bad.json');
  await writeFile(bad, '{ nope');
  await assert.rejects(loadConfig({ configPath: bad }), (e) => assertConfigError(e, /is not valid JSON/));
  const nested = join(dir, 'nested.json');
  await writeFile(nested, JSON.stringify({ nativePort: [1] }));
  await assert.rejects(loadConfig({ configPath: nested }), (e) =>
    assertConfigError(e, /nativePort .*expected a string, number or boolean/),
  );
  assert.throws(
    () => parsePropertiesConfig('nativePort 1\n', 'x.properties'),
    (e) => assertConfigError(e, /x\.properties line 1: expected key=value/),
  );
});

test('the native, http and Kafka ports must differ unless 0 (Kafka auto gives way instead)', () => {
  assert.throws(
    () => resolveConfig({ flags: flagEntries({ nativePort: '9000', httpPort: '9000' }) }),
    (e) => assertConfigError(e, /nativePort \(flag --native-port\) and httpPort \(flag --http-port\) are both 9000: they must differ/),
  );
  assert.throws(
    () => resolveConfig({ env: envEntries({ FERRY_HTTP_PORT: '9093' }), flags: flagEntries({ kafkaPort: '9093' }) }),
    (e) => assertConfigError(e, /httpPort \(env FERRY_HTTP_PORT\) and kafkaPort \(flag --kafka-port\) are both 9093/),
  );
  assert.equal(resolveConfig({ env: envEntries({ FERRY_HTTP_PORT: '9092' }) }).kafkaPort, 'auto');
  assert.equal(resolveConfig({ flags: flagEntries({ nativePort: '0', httpPort: '0', kafkaPort: '0' }) }).httpPort, 0);
  assert.equal(resolveConfig({ flags: flagEntries({ httpPort: '9092', kafkaPort: '-1' }) }).kafkaPort, -1);
});

test('Kafka limits carry a kafka prefix in flags and env, and a kafka section in files', () => {
  const config = resolveConfig({
    flags: flagEntries({ kafkaMaxConnections: '5', maxConnections: '6' }),
    env: envEntries({ FERRY_KAFKA_IDLE_TIMEOUT_MS: '1000' }),
    file: [{ key: 'kafka.maxRequestBytes', raw: 4096, origin: 'file f.json' }],
  });
  assert.equal(config.kafka.maxConnections, 5);
  assert.equal(config.native.maxConnections, 6);
  assert.equal(config.kafka.idleTimeoutMs, 1000);
  assert.equal(config.native.idleTimeoutMs, DEFAULT_NATIVE_LIMITS.idleTimeoutMs);
  assert.equal(config.kafka.maxRequestBytes, 4096);
});

test('every option has a unique flag, env name and file key, and a one-line description', () => {
  for (const key of ['flag', 'env', 'key'] as const) {
    // A file-only option has no flag and no env name (null); the names that exist are unique.
    const names = CONFIG_OPTIONS.map((o) => o[key]).filter((name) => name !== null);
    assert.equal(new Set(names).size, names.length, `${key} names are unique`);
  }
  for (const option of CONFIG_OPTIONS) {
    assert.ok(option.spec.description.length > 10 && !option.spec.description.includes('\n'), option.key);
    assert.deepEqual(
      option.spec.parse(option.spec.defaultValue as string | number | boolean),
      { value: option.spec.defaultValue },
      option.key,
    );
  }
});
