import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TopicIdIndex } from '../../../src/protocols/kafka/topic-ids.ts';
import { startKafka } from './helpers.ts';

test('topic ids resolve to names; an id of a deleted topic does not reach a new topic of the same name', async (t) => {
  const h = await startKafka(t);
  const index = new TopicIdIndex(h.broker, 1);
  const first = await h.broker.createTopic('reborn', { partitions: 1 });
  assert.equal(index.nameOf(first.topicId), 'reborn', 'found by a rebuild on the miss');
  await h.broker.deleteTopic('reborn');
  const second = await h.broker.createTopic('reborn', { partitions: 1 });
  assert.notEqual(second.topicId, first.topicId);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(index.nameOf(first.topicId), undefined);
  assert.equal(index.nameOf(second.topicId), 'reborn');
  assert.equal(index.nameOf('f'.repeat(32)), undefined);
});
