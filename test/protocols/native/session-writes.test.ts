import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { test } from 'node:test';
import { RecordingLogger } from '../../../src/common/logger.ts';
import { FrameType } from '../../../src/protocols/native/constants.ts';
import { encodeFrame } from '../../../src/protocols/native/frames.ts';
import { startNativeServer } from '../../../src/protocols/native/server.ts';
import { FakeBroker } from './fake-broker.ts';
import { RawClient } from './raw-client.ts';

type WriteFn = (this: Socket, ...args: unknown[]) => unknown;

test('frames answered in one turn of the event loop leave the server in one socket write', async (t) => {
  const server = await startNativeServer({ broker: new FakeBroker(), host: '127.0.0.1', port: 0, logger: new RecordingLogger() });
  const client = await RawClient.open(server.port);
  // Count the server side's writes to the kernel (its sockets have the listener's local port).
  const proto = Socket.prototype as unknown as { _write: WriteFn; _writev: WriteFn };
  const { _write: write, _writev: writev } = proto;
  let serverWrites = 0;
  proto._write = function (...args) {
    if (this.localPort === server.port) serverWrites++;
    return write.apply(this, args);
  };
  proto._writev = function (...args) {
    if (this.localPort === server.port) serverWrites++;
    return writev.apply(this, args);
  };
  t.after(async () => {
    proto._write = write;
    proto._writev = writev;
    client.close();
    await server.close();
  });
  // Five requests of an unknown api in one chunk: each is refused on the spot, in one turn.
  const frames = [1, 2, 3, 4, 5].map((correlationId) =>
    encodeFrame({ type: FrameType.request, apiKey: 0x7ffe, apiVersion: 0, correlationId: 100 + correlationId, flags: 0 }, Buffer.alloc(0)),
  );
  client.writeRaw(Buffer.concat(frames));
  const answers = [];
  for (let i = 1; i <= 5; i++) answers.push(await client.waitFor((frame) => frame.correlationId === 100 + i));
  assert.deepEqual(
    answers.map((frame) => frame?.correlationId),
    [101, 102, 103, 104, 105],
  );
  assert.equal(serverWrites, 1);
});
