import type { ApiSchema } from '../protocol/api.ts';
import type { NoResponse, RequestContext } from './context.ts';

/** One API's schemas and the handler that answers it, with the types erased for the table. */
export interface Route {
  readonly api: ApiSchema<unknown, unknown>;
  handle(ctx: RequestContext, request: unknown): Promise<unknown>;
}

export type Handler<Req, Res> = (ctx: RequestContext, request: Req) => Promise<Res | NoResponse> | Res | NoResponse;

export function route<Req, Res>(api: ApiSchema<Req, Res>, handler: Handler<Req, Res>): Route {
  return {
    api: api as ApiSchema<unknown, unknown>,
    // The session decoded `request` with `api.request`, so it is a Req.
    handle: async (ctx, request) => handler(ctx, request as Req),
  };
}
