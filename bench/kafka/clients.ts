/**
 * The in-process client workloads of bench/kafka.ts, each run in a child process of its own
 * (`node bench/kafka.ts --client <name> ...`): it connects, prints READY, waits for GO on stdin,
 * runs the timed section, then prints `RESULT {json}` with its own CPU time over that section.
 */
import { createInterface } from 'node:readline';
import kafkajs from 'kafkajs';
import { connect, type ProducerRecord } from '../../src/client/index.ts';
import { type ClientResult, mainThreadBusySeconds } from './processes.ts';

const { Kafka, logLevel, CompressionTypes } = kafkajs;

export interface ClientArgs {
  nativePort: number;
  kafkaPort: number;
  topic: string;
  records: number;
  recordBytes: number;
  /** Records per kafkajs send call (one RecordBatch per call). */
  recordsPerSend: number;
  /** kafkajs send calls awaited at once. */
  sendsInFlight: number;
  /** Native producer batch size, bytes. */
  batchBytes: number;
  /** Fetch budget per partition, bytes, for every consumer. */
  fetchPartitionBytes: number;
}

export const CLIENT_WORKLOADS = ['native-produce', 'native-consume', 'kafkajs-produce', 'kafkajs-consume'] as const;
export type ClientWorkload = (typeof CLIENT_WORKLOADS)[number];

function waitForGo(): Promise<void> {
  process.stdout.write('READY\n');
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', () => {
      lines.close();
      resolve();
    });
  });
}

/** Times `section` after GO and reports it; cpu is this whole process (every thread). */
async function timed(section: () => Promise<{ records: number; valueBytes: number }>): Promise<ClientResult> {
  await waitForGo();
  const cpuAtStart = process.cpuUsage();
  const busyAtStart = mainThreadBusySeconds('self');
  const started = performance.now();
  const { records, valueBytes } = await section();
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  const clientBusySeconds = mainThreadBusySeconds('self') - busyAtStart;
  return { records, valueBytes, elapsedMs, clientCpuSeconds: (cpu.user + cpu.system) / 1e6, clientBusySeconds };
}

/** bench/native.ts's sendBatch path: the producer cuts calls into `batchBytes` batches itself. */
const NATIVE_RECORDS_PER_CALL = 10_000;
const NATIVE_CALLS_IN_FLIGHT = 32;

async function nativeProduce(args: ClientArgs): Promise<ClientResult> {
  const client = await connect(`127.0.0.1:${args.nativePort}`);
  // The settings of bench/native.ts's fastest path: big batches, several requests in flight,
  // one promise per sendBatch call of many records.
  const producer = client.producer({ acks: 'all', batchBytes: args.batchBytes, maxInFlight: 5 });
  const value = Buffer.alloc(args.recordBytes, 0x61);
  const records: ProducerRecord[] = Array.from({ length: NATIVE_RECORDS_PER_CALL }, () => ({ topic: args.topic, partition: 0, value }));
  const result = await timed(async () => {
    const inFlight: Promise<unknown>[] = [];
    let sent = 0;
    while (sent < args.records) {
      const count = Math.min(NATIVE_RECORDS_PER_CALL, args.records - sent);
      inFlight.push(producer.sendBatch(count === records.length ? records : records.slice(0, count)));
      sent += count;
      if (inFlight.length >= NATIVE_CALLS_IN_FLIGHT) await inFlight.shift();
    }
    await Promise.all(inFlight);
    return { records: sent, valueBytes: sent * args.recordBytes };
  });
  await producer.close();
  await client.close();
  return result;
}

async function nativeConsume(args: ClientArgs): Promise<ClientResult> {
  const client = await connect(`127.0.0.1:${args.nativePort}`);
  const consumer = client.consumer({ topics: [args.topic], fromBeginning: true, maxPartitionBytes: args.fetchPartitionBytes });
  const result = await timed(async () => {
    let records = 0;
    let valueBytes = 0;
    for await (const batch of consumer.batches()) {
      records += batch.length;
      for (const message of batch) valueBytes += message.value?.length ?? 0;
      if (records >= args.records) break;
    }
    return { records, valueBytes };
  });
  await consumer.close();
  await client.close();
  return result;
}

function kafkaClient(args: ClientArgs, clientId: string) {
  return new Kafka({ brokers: [`127.0.0.1:${args.kafkaPort}`], clientId, logLevel: logLevel.NOTHING });
}

async function kafkajsProduce(args: ClientArgs): Promise<ClientResult> {
  const producer = kafkaClient(args, 'bench-producer').producer({ allowAutoTopicCreation: false, idempotent: false });
  await producer.connect();
  const value = Buffer.alloc(args.recordBytes, 0x61);
  const messages = Array.from({ length: args.recordsPerSend }, () => ({ value }));
  const result = await timed(async () => {
    const inFlight: Promise<unknown>[] = [];
    let sent = 0;
    while (sent < args.records) {
      const count = Math.min(args.recordsPerSend, args.records - sent);
      const batch = count === messages.length ? messages : messages.slice(0, count);
      // One send = one Produce request holding one RecordBatch; several are awaited at once.
      inFlight.push(producer.send({ topic: args.topic, acks: -1, compression: CompressionTypes.None, messages: batch }));
      sent += count;
      if (inFlight.length >= args.sendsInFlight) await inFlight.shift();
    }
    await Promise.all(inFlight);
    return { records: sent, valueBytes: sent * args.recordBytes };
  });
  await producer.disconnect();
  return result;
}

async function kafkajsConsume(args: ClientArgs): Promise<ClientResult> {
  const consumer = kafkaClient(args, 'bench-consumer').consumer({
    groupId: `bench-${process.pid}`,
    maxBytesPerPartition: args.fetchPartitionBytes,
    maxBytes: 4 * args.fetchPartitionBytes,
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: args.topic, fromBeginning: true });
  let records = 0;
  let valueBytes = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  // Timed from run(): the join (rebalance delay 0 on the bench broker) is a few round trips.
  const result = await timed(async () => {
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        records += batch.messages.length;
        for (const message of batch.messages) valueBytes += message.value?.length ?? 0;
        if (records >= args.records) finish();
      },
    });
    await done;
    return { records, valueBytes };
  });
  await consumer.disconnect();
  return result;
}

export async function runClientWorkload(workload: ClientWorkload, args: ClientArgs): Promise<void> {
  const run = {
    'native-produce': nativeProduce,
    'native-consume': nativeConsume,
    'kafkajs-produce': kafkajsProduce,
    'kafkajs-consume': kafkajsConsume,
  }[workload];
  const result = await run(args);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}
