import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaHarness } from './helpers.ts';
import { startKafka } from './helpers.ts';

const MEMBER_SCRIPT = join(import.meta.dirname, 'clients', 'kafkajs-member.ts');

interface Member {
  name: string;
  child: ChildProcess;
  seen: { partition: number; offset: number; value: string }[];
  assigned: number[];
  exited: Promise<void>;
}

function startMember(t: { after(fn: () => void): void }, bootstrap: string, name: string, groupId: string, topic: string): Member {
  const child = spawn(process.execPath, [MEMBER_SCRIPT, bootstrap, groupId, topic], { stdio: ['ignore', 'pipe', 'inherit'] });
  const member: Member = {
    name,
    child,
    seen: [],
    assigned: [],
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const event = JSON.parse(line) as { assigned?: number[]; partition?: number; offset?: number; value?: string };
    if (event.assigned) member.assigned = event.assigned;
    else member.seen.push({ partition: event.partition!, offset: event.offset!, value: event.value! });
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return member;
}

async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function assignmentOf(h: KafkaHarness, groupId: string): number[][] {
  const group = h.broker.describeGroup(groupId);
  if (group.state !== 'Stable') return [];
  return group.members.map((m) => m.assignedPartitions.flatMap((a) => a.partitions).sort((x, y) => x - y));
}

describe('kafkajs consumer group against Ferry', () => {
  test('3 members share 6 partitions; one leaves, one dies; every record is consumed', async (t) => {
    const h = await startKafka(t, { config: { groupMinSessionTimeoutMs: 1000, groupInitialRebalanceDelayMs: 0 } });
    const topic = 'work';
    const groupId = 'workers';
    await h.broker.createTopic(topic, { partitions: 6 });
    const producer = h.cleanup(new Kafka({ brokers: [h.bootstrap], logLevel: logLevel.NOTHING }).producer());
    await producer.connect();
    const produced = new Set<string>();
    const produce = async (round: string, count: number) => {
      const messages = Array.from({ length: count }, (_, i) => ({ key: `${round}-${i}`, value: `${round}-${i}` }));
      for (const m of messages) produced.add(m.value);
      await producer.send({ topic, messages });
    };
    const members = ['a', 'b', 'c'].map((name) => startMember(t, h.bootstrap, name, groupId, topic));
    const consumed = () => new Set(members.flatMap((m) => m.seen.map((s) => s.value)));
    const allConsumed = () => {
      const seen = consumed();
      return [...produced].every((v) => seen.has(v));
    };

    await until('the group is stable with 3 members of 2 partitions each', () => {
      const assignment = assignmentOf(h, groupId);
      return assignment.length === 3 && assignment.every((p) => p.length === 2);
    });
    await produce('first', 600);
    await until('the first round is consumed', allConsumed);
    for (const member of members) assert.ok(member.seen.length > 0, `${member.name} consumed its share`);

    // b leaves cleanly (kafkajs disconnect: commit, LeaveGroup): a and c take 3 partitions each.
    members[1]!.child.kill('SIGTERM');
    await members[1]!.exited;
    await until('a and c hold 3 partitions each', () => {
      const assignment = assignmentOf(h, groupId);
      return assignment.length === 2 && assignment.every((p) => p.length === 3);
    });
    await produce('second', 600);
    await until('the second round is consumed', allConsumed);

    // c dies without a word: its session expires and a takes everything, from committed offsets.
    members[2]!.child.kill('SIGKILL');
    await members[2]!.exited;
    await produce('third', 600);
    await until('a holds all 6 partitions', () => {
      const assignment = assignmentOf(h, groupId);
      return assignment.length === 1 && assignment[0]!.length === 6;
    });
    await until('the third round is consumed', allConsumed);

    // Nothing skipped: per partition, the offsets seen by all members cover the log without a gap.
    for (let partition = 0; partition < 6; partition++) {
      const offsets = new Set(members.flatMap((m) => m.seen.filter((s) => s.partition === partition).map((s) => s.offset)));
      const end = h.broker.describeTopic(topic).partitions[partition]!.logEndOffset;
      for (let offset = 0; offset < end; offset++) assert.ok(offsets.has(offset), `partition ${partition} offset ${offset} was consumed`);
    }
    assert.equal(consumed().size, 1800);
    members[0]!.child.kill('SIGTERM');
    await members[0]!.exited;
  });
});
