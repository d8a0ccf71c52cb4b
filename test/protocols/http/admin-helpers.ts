import type { TestContext } from 'node:test';
import type { Broker } from '../../../src/broker/broker.ts';
import type { BrokerConfig } from '../../../src/broker/config.ts';
import { silentLogger } from '../../../src/common/logger.ts';
import { type AdminLimits, adminRoutes } from '../../../src/protocols/http/admin/index.ts';
import { startHttpServer } from '../../../src/protocols/http/server.ts';
import { startBroker, TEST_CONFIG } from '../../broker/helpers.ts';

/** A parsed JSON answer. Tests read fields freely and assert on them: a wrong shape fails there. */
// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field by the assertions
export type Json = any;

export interface AdminApi {
  broker: Broker;
  /** `fetch` against the admin API; JSON bodies are sent as JSON. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }>;
  /** A request with its own headers and body text. */
  raw(method: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: Json }>;
}

/** A real broker on a temp dir behind the real HTTP server (port 0) with the admin routes. */
export async function startAdminApi(
  t: TestContext,
  limits: Partial<AdminLimits> = {},
  config: Partial<BrokerConfig> = {},
): Promise<AdminApi> {
  const { broker } = await startBroker(t, { config: { ...TEST_CONFIG, ...config } });
  const http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    plugins: [adminRoutes({ broker, logger: silentLogger, limits })],
  });
  t.after(() => http.close());
  const base = `http://127.0.0.1:${http.port}`;
  const answer = async (response: Response) => {
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  };
  return {
    broker,
    async raw(method, path, headers, body) {
      return answer(await fetch(`${base}${path}`, { method, headers, body }));
    },
    async call(method, path, body) {
      const init: RequestInit = { method };
      if (body !== undefined) {
        init.headers = { 'content-type': 'application/json' };
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
      }
      return answer(await fetch(`${base}${path}`, init));
    },
  };
}
