import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startAdminApi } from './admin-helpers.ts';

interface BadRequest {
  what: string;
  method: string;
  path: string;
  body?: unknown;
  status: number;
  code: string;
  message?: RegExp;
}

const BAD_REQUESTS: BadRequest[] = [
  {
    what: 'topic name with a space',
    method: 'GET',
    path: '/api/topics/bad%20name',
    status: 400,
    code: 'INVALID_REQUEST',
    message: /params\/topic/,
  },
  { what: 'unknown topic', method: 'GET', path: '/api/topics/missing', status: 404, code: 'UNKNOWN_TOPIC_OR_PARTITION' },
  { what: 'delete of an unknown topic', method: 'DELETE', path: '/api/topics/missing', status: 404, code: 'UNKNOWN_TOPIC_OR_PARTITION' },
  { what: 'create without a name', method: 'POST', path: '/api/topics', body: {}, status: 400, code: 'INVALID_REQUEST', message: /name/ },
  {
    what: 'zero partitions',
    method: 'POST',
    path: '/api/topics',
    body: { name: 'x', partitions: 0 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    what: 'partitions as text',
    method: 'POST',
    path: '/api/topics',
    body: { name: 'x', partitions: 'many' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    what: 'a misspelt field',
    method: 'POST',
    path: '/api/topics',
    body: { name: 'x', partiton: 3 },
    status: 400,
    code: 'INVALID_REQUEST',
    message: /body\/partiton is not a known field/,
  },
  { what: 'an existing topic', method: 'POST', path: '/api/topics', body: { name: 'orders' }, status: 409, code: 'TOPIC_ALREADY_EXISTS' },
  { what: 'body that is not JSON', method: 'POST', path: '/api/topics', body: '{"name":', status: 400, code: 'INVALID_REQUEST' },
  { what: 'body that is a JSON array', method: 'POST', path: '/api/topics', body: [1, 2], status: 400, code: 'INVALID_REQUEST' },
  {
    what: 'an unknown topic config key',
    method: 'PATCH',
    path: '/api/topics/orders/config',
    body: { set: { 'no.such.key': '1' } },
    status: 400,
    code: 'INVALID_CONFIG',
  },
  {
    what: 'a bad topic config value',
    method: 'PATCH',
    path: '/api/topics/orders/config',
    body: { set: { 'retention.ms': 'soon' } },
    status: 400,
    code: 'INVALID_CONFIG',
  },
  {
    what: 'shrinking partitions',
    method: 'POST',
    path: '/api/topics/orders/partitions',
    body: { count: 1 },
    status: 400,
    code: 'INVALID_PARTITIONS',
  },
  { what: 'a negative partition', method: 'GET', path: '/api/topics/orders/partitions/-1/records', status: 400, code: 'INVALID_REQUEST' },
  {
    what: 'a partition that does not exist',
    method: 'GET',
    path: '/api/topics/orders/partitions/9/records',
    status: 404,
    code: 'UNKNOWN_TOPIC_OR_PARTITION',
  },
  {
    what: 'a negative offset',
    method: 'GET',
    path: '/api/topics/orders/partitions/0/records?offset=-1',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    what: 'an offset past the end',
    method: 'GET',
    path: '/api/topics/orders/partitions/0/records?offset=99',
    status: 400,
    code: 'OFFSET_OUT_OF_RANGE',
  },
  { what: 'limit 0', method: 'GET', path: '/api/topics/orders/partitions/0/records?limit=0', status: 400, code: 'INVALID_REQUEST' },
  {
    what: 'an unknown encoding',
    method: 'GET',
    path: '/api/topics/orders/partitions/0/records?encoding=hex',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    what: 'produce to an unknown topic',
    method: 'POST',
    path: '/api/topics/missing/records',
    body: { records: [{ value: 'a' }] },
    status: 404,
    code: 'UNKNOWN_TOPIC_OR_PARTITION',
  },
  {
    what: 'produce no records',
    method: 'POST',
    path: '/api/topics/orders/records',
    body: { records: [] },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    what: 'produce an object value',
    method: 'POST',
    path: '/api/topics/orders/records',
    body: { records: [{ value: { a: 1 } }] },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    what: 'produce to a missing partition',
    method: 'POST',
    path: '/api/topics/orders/records',
    body: { records: [{ value: 'a', partition: 7 }] },
    status: 404,
    code: 'UNKNOWN_TOPIC_OR_PARTITION',
  },
  { what: 'an unknown group', method: 'GET', path: '/api/groups/nobody', status: 404, code: 'GROUP_ID_NOT_FOUND' },
  {
    what: 'subscriptions of an unknown topic',
    method: 'GET',
    path: '/api/topics/missing/subscriptions',
    status: 404,
    code: 'UNKNOWN_TOPIC_OR_PARTITION',
  },
  {
    what: 'an unknown subscription mode',
    method: 'POST',
    path: '/api/topics/orders/subscriptions',
    body: { name: 's', mode: 'fifo' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    what: 'an unknown subscription',
    method: 'GET',
    path: '/api/topics/orders/subscriptions/none',
    status: 404,
    code: 'SUBSCRIPTION_NOT_FOUND',
  },
  {
    what: 'dead letters of an unknown subscription',
    method: 'GET',
    path: '/api/topics/orders/subscriptions/none/dead-letters',
    status: 404,
    code: 'SUBSCRIPTION_NOT_FOUND',
  },
  {
    what: 'replay of an unknown subscription',
    method: 'POST',
    path: '/api/topics/orders/subscriptions/none/dead-letters/replay',
    body: {},
    status: 404,
    code: 'SUBSCRIPTION_NOT_FOUND',
  },
  {
    what: 'replay of zero records',
    method: 'POST',
    path: '/api/topics/orders/subscriptions/none/dead-letters/replay',
    body: { maxRecords: 0 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  { what: 'an unknown route', method: 'GET', path: '/api/nothing-here', status: 404, code: 'NOT_FOUND' },
];

test('bad requests to the admin API get a 4xx with the JSON error body, and the broker keeps serving', async (t) => {
  const api = await startAdminApi(t);
  assert.equal((await api.call('POST', '/api/topics', { name: 'orders', partitions: 2 })).status, 201);
  for (const bad of BAD_REQUESTS) {
    const answer = await api.call(bad.method, bad.path, bad.body);
    assert.equal(answer.status, bad.status, `${bad.what}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.error.code, bad.code, bad.what);
    assert.equal(typeof answer.body.error.message, 'string', bad.what);
    if (bad.message) assert.match(answer.body.error.message, bad.message, bad.what);
  }
  assert.equal((await api.call('GET', '/api/topics/orders')).status, 200);
});

test('a body of an unknown content type is 415, text is 400, a body above the limit 413, both as JSON errors', async (t) => {
  const api = await startAdminApi(t);
  const base = await api.call('GET', '/api/topics');
  assert.equal(base.status, 200);
  const xml = await api.raw('POST', '/api/topics', { 'content-type': 'application/xml' }, '<name>orders</name>');
  assert.equal(xml.status, 415);
  assert.equal(xml.body.error.code, 'INVALID_REQUEST');
  // Fastify parses text/plain as a string, which the body schema refuses.
  const plain = await api.raw('POST', '/api/topics', { 'content-type': 'text/plain' }, 'name=orders');
  assert.equal(plain.status, 400);
  assert.equal(plain.body.error.code, 'INVALID_REQUEST');
  const huge = await api.raw(
    'POST',
    '/api/topics',
    { 'content-type': 'application/json' },
    JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
  );
  assert.equal(huge.status, 413);
  assert.equal(huge.body.error.code, 'FRAME_TOO_LARGE');
});

test('deleting a topic is 403 when the broker forbids it', async (t) => {
  const api = await startAdminApi(t, {}, { deleteTopicEnable: false });
  await api.call('POST', '/api/topics', { name: 'kept' });
  const answer = await api.call('DELETE', '/api/topics/kept');
  assert.equal(answer.status, 403);
  assert.equal(answer.body.error.code, 'TOPIC_DELETION_DISABLED');
});
