import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { RecordingLogger } from '../../src/common/logger.ts';
import { openLogManager } from '../../src/storage/log-manager.ts';

test('a reserved __ entry of the data directory is left alone without a warning; a stray one is warned about', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ferry-reserved-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  await mkdir(path.join(dataDir, '__cluster_metadata'));
  await mkdir(path.join(dataDir, 'stray'));
  const logger = new RecordingLogger();
  const manager = await openLogManager({ dataDir, logger });
  await manager.close();
  const warned = logger.lines.filter((line) => line.level === 'warn').map((line) => (line.obj as { file?: string }).file);
  assert.deepEqual(warned, [path.join(dataDir, 'stray')]);
});
