import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { test } from 'node:test';
import { connect } from '../../src/client/index.ts';
import { ApiKey, LENGTH_PREFIX_BYTES } from '../../src/protocols/native/constants.ts';
import { startNativeServer } from '../../src/protocols/native/server.ts';
import { FakeBroker } from '../protocols/native/fake-broker.ts';

type WriteFn = (this: Socket, ...args: unknown[]) => boolean;

test('the next fetch is on the wire before the application sees the records of the last one', async (t) => {
  const broker = new FakeBroker();
  const server = await startNativeServer({ broker, host: '127.0.0.1', port: 0 });
  const client = await connect(`127.0.0.1:${server.port}`);
  // Fetch frames the client hands to its sockets (api key right after the length and frame type).
  const proto = Socket.prototype as unknown as { write: WriteFn };
  const write = proto.write;
  let fetchesSent = 0;
  proto.write = function (this: Socket, ...args: unknown[]) {
    const chunk = args[0];
    if (this.remotePort === server.port && Buffer.isBuffer(chunk) && chunk.length >= LENGTH_PREFIX_BYTES + 3) {
      if (chunk.readUInt16BE(LENGTH_PREFIX_BYTES + 1) === ApiKey.fetch) fetchesSent++;
    }
    return write.apply(this, args);
  };
  t.after(async () => {
    proto.write = write;
    await client.close();
    await server.close();
  });
  await client.admin().createTopic({ name: 'tail', partitions: 1 });
  const producer = client.producer({ lingerMs: 0 });
  const consumer = client.consumer({ topics: ['tail'], fromBeginning: true, maxWaitMs: 5000 });
  const seen: number[] = [];
  await producer.send({ topic: 'tail', value: 'v0' });
  for await (const batch of consumer.batches()) {
    // Synchronously, at the top of the loop body: the fetch after this answer already left.
    seen.push(fetchesSent);
    assert.equal(batch[0]!.value!.toString(), `v${seen.length - 1}`);
    if (seen.length === 3) break;
    await producer.send({ topic: 'tail', value: `v${seen.length}` });
  }
  assert.ok(
    seen.every((sent, i) => sent >= i + 2),
    `fetches sent when each answer was handed out: ${seen.join(', ')}`,
  );
  await producer.close();
});
