import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { DEFAULT_FERRY_CONFIG, resolveConfig } from '../../src/server/config.ts';
import { envEntries, flagEntries } from '../../src/server/config-sources.ts';
import { DEFAULT_SYNC_WRITE_MAX_BYTES } from '../../src/storage/node-file-system.ts';

test('storage.syncWriteMaxBytes defaults to the file system default and comes from flag, env or file', () => {
  assert.equal(DEFAULT_FERRY_CONFIG.storage.syncWriteMaxBytes, DEFAULT_SYNC_WRITE_MAX_BYTES);
  assert.equal(resolveConfig({ flags: flagEntries({ syncWriteMaxBytes: '0' }) }).storage.syncWriteMaxBytes, 0);
  assert.equal(resolveConfig({ env: envEntries({ FERRY_SYNC_WRITE_MAX_BYTES: '65536' }) }).storage.syncWriteMaxBytes, 65536);
  const file = [{ key: 'storage.syncWriteMaxBytes', raw: 4096, origin: 'file f.json' }];
  assert.equal(resolveConfig({ file }).storage.syncWriteMaxBytes, 4096);
});

test('a negative or non-integer storage.syncWriteMaxBytes is refused with INVALID_CONFIG naming it', () => {
  for (const raw of ['-1', '1.5', 'lots']) {
    assert.throws(
      () => resolveConfig({ flags: flagEntries({ syncWriteMaxBytes: raw }) }),
      (error) => error instanceof FerryError && error.code === ErrorCode.INVALID_CONFIG && /syncWriteMaxBytes/.test(error.message),
      raw,
    );
  }
});
