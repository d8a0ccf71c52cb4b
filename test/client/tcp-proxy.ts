import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between a client and a server, for cutting connections at chosen moments: drop
 * everything now, or drop the connection instead of forwarding the server's next answer (so the
 * server has done the work and the client never hears of it).
 */
export class TcpProxy {
  readonly port: number;
  private readonly server: Server;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  /** When set, the next server-to-client chunk matching it kills the connection instead. */
  private dropResponse: ((chunk: Buffer) => boolean) | null = null;
  droppedConnections = 0;
  acceptedConnections = 0;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | null = null;
    const server = createServer((client) => proxy!.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0);
    return proxy;
  }

  private accept(client: Socket, targetPort: number): void {
    this.acceptedConnections++;
    const upstream = connect({ port: targetPort, host: '127.0.0.1' });
    const pair = { client, upstream };
    this.pairs.add(pair);
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (this.dropResponse?.(chunk)) {
        this.dropResponse = null;
        this.droppedConnections++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('close', close);
    upstream.on('close', close);
  }

  /** Kills the connection carrying the next server answer that `match` accepts. */
  dropNextResponse(match: (chunk: Buffer) => boolean = () => true): void {
    this.dropResponse = match;
  }

  dropAll(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
      this.droppedConnections++;
    }
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
