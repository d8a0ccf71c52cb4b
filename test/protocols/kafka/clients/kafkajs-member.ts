/**
 * One kafkajs consumer-group member in its own process, so a test can kill it (SIGKILL: no
 * LeaveGroup, no commit) or stop it (SIGTERM: disconnect, which commits and leaves).
 *
 *   node kafkajs-member.ts <bootstrap> <groupId> <topic>
 *
 * Prints one JSON line per record ({"partition","offset","value"}) and one per assignment
 * ({"assigned":[partitions]}).
 */
import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, groupId, topic] = process.argv.slice(2);
if (!bootstrap || !groupId || !topic) throw new Error('usage: kafkajs-member.ts <bootstrap> <groupId> <topic>');

const consumer = new Kafka({ brokers: [bootstrap], clientId: `member-${process.pid}`, logLevel: logLevel.NOTHING }).consumer({
  groupId,
  sessionTimeout: 3000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 200,
  retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
});

consumer.on(consumer.events.GROUP_JOIN, (event) => {
  const assigned = event.payload.memberAssignment[topic] ?? [];
  process.stdout.write(`${JSON.stringify({ assigned })}\n`);
});

process.on('SIGTERM', () => {
  consumer.disconnect().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  autoCommitInterval: 200,
  eachMessage: async ({ partition, message }) => {
    process.stdout.write(`${JSON.stringify({ partition, offset: Number(message.offset), value: message.value?.toString() ?? '' })}\n`);
  },
});
