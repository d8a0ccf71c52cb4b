import { ErrorCode, FerryError } from '../common/errors.ts';

export interface Endpoint {
  host: string;
  port: number;
}

/** The native protocol's default port. */
export const DEFAULT_PORT = 7420;

/** Parses `ferry://host:port`, `host:port`, `host` or `[::1]:port`. */
export function parseEndpoint(url: string): Endpoint {
  let rest = url.trim();
  if (rest.startsWith('ferry://')) rest = rest.slice('ferry://'.length);
  else if (rest.includes('://')) throw new FerryError(ErrorCode.INVALID_CONFIG, `unsupported url scheme in ${url} (use ferry://host:port)`);
  rest = rest.replace(/\/+$/, '');
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new FerryError(ErrorCode.INVALID_CONFIG, `unterminated IPv6 address in ${url}`);
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new FerryError(ErrorCode.INVALID_CONFIG, `bad url ${url}`);
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = rest.lastIndexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
  }
  if (host === '') throw new FerryError(ErrorCode.INVALID_CONFIG, `no host in ${url}`);
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new FerryError(ErrorCode.INVALID_CONFIG, `bad port in ${url}`);
  return { host, port };
}
