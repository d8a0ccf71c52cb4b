import { ErrorCode, FerryError } from '../common/errors.ts';
import { type Logger, silentLogger } from '../common/logger.ts';
import { Admin } from './admin.ts';
import { Channel, type ChannelOptions } from './channel.ts';
import { Consumer, type ConsumerOptions } from './consumer.ts';
import { Producer, type ProducerOptions } from './producer.ts';
import type { QueueMessage } from './queue-message.ts';
import { type QueueSubscribeOptions, QueueSubscription } from './queue-subscription.ts';
import { type RequestMessage, type RequestOptions, Requester } from './requester.ts';
import { type Endpoint, parseEndpoint } from './url.ts';

/** Options of `connect()`. Every field is optional; defaults are listed. */
export interface ClientOptions {
  /** Sent in Hello and used as the group members' client id. Default `ferrymq-client`. */
  clientId?: string;
  /** Time allowed to connect and complete the handshake. Default 10 s. */
  connectTimeoutMs?: number;
  /** How long a request may wait for its answer (long polls add their wait). Default 30 s. */
  requestTimeoutMs?: number;
  /** First back-off before a retry or a reconnect; doubles per attempt. Default 100 ms. */
  retryBackoffMs?: number;
  /** Longest back-off. Default 5 s. */
  maxRetryBackoffMs?: number;
  /** Largest frame accepted from the server. Default 64 MiB. */
  maxFrameBytes?: number;
  /** Where the client logs reconnects, rebalances and failed commits. Default: silent. */
  logger?: Logger;
  /** `request()` calls waiting for their reply at once. Default 10,000. */
  maxPendingRequests?: number;
  /** Retention of this client's reply topic (deleted at close; a crashed client's expires).
   *  Default 10 minutes. */
  replyRetentionMs?: number;
}

/**
 * A handle on one Ferry server. Producers, consumers and the admin each get their own
 * connection (so a long poll never queues behind a burst of produce requests); every connection
 * reconnects by itself after a failure.
 */
export class FerryClient {
  readonly endpoint: Endpoint;
  private readonly channelOptions: ChannelOptions;
  private readonly adminChannel: Channel;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  private readonly subscriptions = new Set<QueueSubscription>();
  private adminHandle: Admin | null = null;
  private isClosed = false;
  private readonly requester: Requester;
  private replyProducer: Producer | null = null;

  /** @internal Use `connect()`. */
  constructor(endpoint: Endpoint, options: ClientOptions) {
    this.endpoint = endpoint;
    this.channelOptions = {
      endpoint,
      clientId: options.clientId ?? 'ferrymq-client',
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      maxFrameBytes: options.maxFrameBytes ?? 64 * 1024 * 1024,
      retryBackoffMs: options.retryBackoffMs ?? 100,
      maxRetryBackoffMs: options.maxRetryBackoffMs ?? 5000,
      logger: (options.logger ?? silentLogger).child({ component: 'ferry-client' }),
    };
    this.adminChannel = new Channel(this.channelOptions);
    this.requester = new Requester({
      admin: this.admin(),
      producer: () => {
        this.replyProducer ??= this.producer({ lingerMs: 0 });
        return this.replyProducer;
      },
      subscribe: (subscribeOptions) => this.subscribe(subscribeOptions),
      logger: this.channelOptions.logger.child({ role: 'requester' }),
      maxPendingRequests: options.maxPendingRequests ?? 10_000,
      replyRetentionMs: options.replyRetentionMs ?? 10 * 60 * 1000,
    });
  }

  /** @internal Opens the first connection, so that `connect()` fails fast on a wrong address. */
  async open(): Promise<void> {
    await this.adminChannel.connection();
  }

  /** Node id and limits the server announced in its handshake. */
  async serverInfo(): Promise<{ nodeId: number; serverSoftware: string; protocolVersion: number; maxFrameBytes: number }> {
    const { hello } = await this.adminChannel.connection();
    return {
      nodeId: hello.nodeId,
      serverSoftware: hello.serverSoftware,
      protocolVersion: hello.protocolVersion,
      maxFrameBytes: hello.maxFrameBytes,
    };
  }

  /** A new producer on its own connection. */
  producer(options: ProducerOptions = {}): Producer {
    this.assertOpen();
    const producer = new Producer(new Channel(this.channelOptions), options, this.channelOptions.logger.child({ role: 'producer' }));
    this.producers.add(producer);
    return producer;
  }

  /** A new consumer on its own connection; it starts joining its group (if any) at once. */
  consumer(options: ConsumerOptions): Consumer {
    this.assertOpen();
    const consumer = new Consumer(
      new Channel(this.channelOptions),
      options,
      this.channelOptions.logger.child({ role: 'consumer', groupId: options.groupId }),
      this.channelOptions.requestTimeoutMs,
    );
    this.consumers.add(consumer);
    return consumer;
  }

  /**
   * A consumer of a queue subscription (shared, key_shared, exclusive, failover) on its own
   * connection; the subscription is created if missing. Read it with `for await` or `run()`.
   */
  async subscribe(options: QueueSubscribeOptions): Promise<QueueSubscription> {
    this.assertOpen();
    const subscription = new QueueSubscription(
      new Channel(this.channelOptions),
      { ...options },
      this.channelOptions.logger.child({ role: 'queue', topic: options.topic, subscription: options.subscription }),
    );
    try {
      await subscription.start();
    } catch (error) {
      subscription.destroy();
      throw error;
    }
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Sends a request to `topic` and waits for its reply (FerryError TIMEOUT after `timeoutMs`). */
  request(topic: string, message: RequestMessage, options: RequestOptions = {}): Promise<QueueMessage> {
    this.assertOpen();
    return this.requester.request(topic, message, options);
  }

  /** Answers a request received from any consumer (queue or stream) of this client. */
  reply(request: QueueMessage, response: RequestMessage): Promise<void> {
    this.assertOpen();
    return this.requester.reply(request, response);
  }

  /** Topic, group and offset administration (one shared instance). */
  admin(): Admin {
    this.assertOpen();
    this.adminHandle ??= new Admin(this.adminChannel);
    return this.adminHandle;
  }

  /** Flushes every producer, commits and leaves with every consumer, then closes all
   *  connections. The first failure is thrown after everything is closed. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await this.requester.close();
    const results = await Promise.allSettled([
      ...[...this.subscriptions].map((s) => s.close()),
      ...[...this.producers].map((p) => p.close()),
      ...[...this.consumers].map((c) => c.close()),
    ]);
    this.adminChannel.close();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Drops every connection at once: no flush, no commit, no leave (what a crash looks like to
   *  the server). Pending sends fail with CONNECTION_CLOSED. */
  destroy(): void {
    this.isClosed = true;
    for (const producer of this.producers) producer.destroy();
    for (const consumer of this.consumers) consumer.destroy();
    for (const subscription of this.subscriptions) subscription.destroy();
    this.adminChannel.close();
  }

  private assertOpen(): void {
    if (this.isClosed) throw new FerryError(ErrorCode.CONNECTION_CLOSED, 'client is closed');
  }
}

/**
 * Connects to a Ferry server: `await connect('ferry://localhost:9455')` (or `host:port`).
 * Rejects if the server cannot be reached or refuses the handshake.
 */
export async function connect(url: string, options: ClientOptions = {}): Promise<FerryClient> {
  const client = new FerryClient(parseEndpoint(url), options);
  try {
    await client.open();
  } catch (error) {
    client.destroy();
    throw error;
  }
  return client;
}
