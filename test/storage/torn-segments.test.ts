/**
 * Under `flush: none` a segment is closed before its bytes are on disk (its sync runs in the
 * background), so a power cut can tear a closed segment, not only the last one. Recovery must
 * tell that from corruption: cut the torn segment, drop the ones after it, stay online. Flipped
 * bits in a closed segment must still take the partition offline.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingLogger } from '../../src/common/logger.ts';
import { openLogManager } from '../../src/storage/log-manager.ts';
import type { LogConfig, LogManager } from '../../src/storage/types.ts';
import { FaultFileSystem, mulberry32, type PowerCutOptions, pick, randomInt, testSeed } from '../helpers/fault-file-system.ts';
import { buildBatch } from './batch-fixtures.ts';
import { readAll } from './storage-helpers.ts';

const DATA_DIR = '/data';
const CONFIG: Partial<LogConfig> = { flush: { kind: 'none' }, segmentBytes: 2048, indexIntervalBytes: 256 };

describe('power cuts under flush none: torn closed segments', () => {
  it('every cut leaves an online log holding a dense, valid prefix of what was appended', async () => {
    const seed = testSeed();
    const master = mulberry32(seed);
    const styles: Omit<PowerCutOptions, 'rng'>[] = [
      { tearLastWrite: true, metadata: 'randomPrefix' },
      { sizeWithoutData: true, metadata: 'all' },
      { reorderUnsynced: true, metadata: 'randomPrefix' },
      { tearLastWrite: false, metadata: 'durableOnly' },
    ];
    for (let scenario = 0; scenario < 60; scenario++) {
      const rng = mulberry32(Math.floor(master() * 0x7fffffff));
      let fs = new FaultFileSystem({ rng });
      await fs.mkdir(DATA_DIR);
      await fs.syncDir('/');
      const logger = new RecordingLogger();
      const manager = await openLogManager({ dataDir: DATA_DIR, fs, logger, defaults: CONFIG });
      const log = await manager.createLog('t', 0);
      const appended: number[] = [];
      const count = randomInt(rng, 5, 80);
      try {
        await Promise.all(
          Array.from({ length: count }, async (_, i) => {
            const result = await log.append(buildBatch({ records: 1 + (i % 3), payloadBytes: randomInt(rng, 30, 400), fill: i % 256 }));
            appended[result.baseOffset] = i % 256;
          }),
        );
        if (rng() < 0.3) await log.flush();
      } catch {
        // not expected: the disk is up
      }
      fs = fs.powerCut({ rng, ...pick(rng, styles) });
      await manager.close().catch(() => {});

      const reopened: LogManager = await openLogManager({ dataDir: DATA_DIR, fs, logger, defaults: CONFIG });
      const after = await reopened.createLog('t', 0); // a log dir never synced may be gone: then it starts empty
      const context = `scenario ${scenario} (FERRY_SEED=${seed})`;
      assert.equal(after.isOffline, false, `${context}: ${JSON.stringify(logger.lines.filter((line) => line.level === 'error'))}`);
      const batches = await readAll(after);
      let next = after.logStartOffset;
      for (const batch of batches) {
        assert.equal(batch.baseOffset, next, context);
        assert.equal(batch.payload[0], appended[batch.baseOffset], context);
        next = batch.lastOffset + 1;
      }
      assert.equal(next, after.logEndOffset, context);
      assert.equal((await after.append(buildBatch())).baseOffset, after.logEndOffset - 1, context);
      await reopened.close();
    }
  });

  it('flipped bits in a closed segment still take the partition offline', async () => {
    const fs = new FaultFileSystem({ rng: mulberry32(7) });
    await fs.mkdir(DATA_DIR);
    await fs.syncDir('/');
    const logger = new RecordingLogger();
    let manager = await openLogManager({ dataDir: DATA_DIR, fs, logger, defaults: CONFIG });
    const log = await manager.createLog('t', 0);
    for (let i = 0; i < 40; i++) await log.append(buildBatch({ payloadBytes: 139 }));
    await manager.close();
    await fs.unlink(`${DATA_DIR}/.clean-shutdown`);
    await fs.unlink(`${DATA_DIR}/recovery-point-offset-checkpoint`);
    const file = `${DATA_DIR}/t-0/00000000000000000010.log`;
    const bytes = fs.peek(file)!;
    bytes[700]! ^= 0x10;
    const handle = await fs.open(file, 'readWrite');
    await handle.write(bytes, 0);
    await handle.close();
    manager = await openLogManager({ dataDir: DATA_DIR, fs, logger, defaults: CONFIG });
    assert.equal(manager.getLog('t', 0)!.isOffline, true);
    await manager.close();
  });
});
