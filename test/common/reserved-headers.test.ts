import assert from 'node:assert/strict';
import { test } from 'node:test';
import { correlationIdOf, replyAddressOf, replyHeaders, requestHeaders } from '../../src/common/request-reply.ts';
import {
  deliveryTimeOf,
  expiryTimeOf,
  headerInteger,
  isReservedHeader,
  ReservedHeader,
  textHeader,
} from '../../src/common/reserved-headers.ts';

test('reserved headers: every name has the ferry- prefix; times parse from decimal text', () => {
  for (const name of Object.values(ReservedHeader)) assert.ok(isReservedHeader(name), name);
  const headers = [textHeader(ReservedHeader.delayMs, 250), textHeader('x', 'y')];
  assert.equal(deliveryTimeOf(headers, 1_000), 1_250);
  assert.equal(deliveryTimeOf([textHeader(ReservedHeader.deliverAt, 5_000), ...headers], 1_000), 5_000, 'an absolute time wins');
  assert.equal(deliveryTimeOf([textHeader('x', 'y')], 1_000), null);
  assert.equal(headerInteger([textHeader(ReservedHeader.ttlMs, 'soon')], ReservedHeader.ttlMs), null);
  assert.equal(headerInteger([{ key: ReservedHeader.ttlMs, value: null }], ReservedHeader.ttlMs), null);
  assert.equal(expiryTimeOf([textHeader(ReservedHeader.ttlMs, 100)], 2_000), 2_100);
  assert.equal(expiryTimeOf([textHeader(ReservedHeader.expiresAt, 7)], 2_000), 7);
});

test('request/reply headers: the reply carries the request correlation id back to its reply-to topic', () => {
  const request = requestHeaders({ replyTo: 'replies.client-1', correlationId: 'c-42' }, [textHeader('trace', 't')]);
  const address = replyAddressOf(request);
  assert.deepEqual(address, { replyTo: 'replies.client-1', correlationId: 'c-42' });
  const reply = replyHeaders(address!, [textHeader(ReservedHeader.replyTo, 'loop')]);
  assert.equal(correlationIdOf(reply), 'c-42');
  assert.equal(replyAddressOf(reply), null, 'a reply is not a request');
  assert.equal(replyAddressOf([textHeader('trace', 't')]), null);
});
