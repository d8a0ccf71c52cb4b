import { createServer, type IncomingMessage } from 'node:http';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface HttpReceiver {
  url: string;
  received: Received[];
  /** Status answered to each request in turn; 200 once the list is used up. */
  statuses: number[];
  waitFor(count: number): Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP server on a free loopback port that records every webhook POST. */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const receiver: HttpReceiver = {
    url: '',
    received,
    statuses: [],
    waitFor(count) {
      return new Promise((resolve) => {
        waiters.push({ count, resolve });
        check();
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  function check(): void {
    for (const waiter of [...waiters]) {
      if (received.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      response.statusCode = receiver.statuses.shift() ?? 200;
      response.end('{}');
      check();
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  receiver.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return receiver;
}
