/**
 * Bounds of the admin API: what one request may ask the broker to read or write. Each is a server
 * option (`http.*` in docs/configuration.md); the route schemas are built from them, so a request
 * above a bound is a 400 that names it, and the OpenAPI document shows the bound in force.
 */
export interface AdminLimits {
  /** Most records one peek or dead-letter page returns (`limit` above it is refused). */
  maxPeekRecords: number;
  /** Most record bytes (key + value + headers, before encoding) one page returns; at least one
   *  record is returned whatever its size, so a large record never blocks browsing. */
  maxPeekBytes: number;
  /** Most records one `POST .../records` may produce. */
  maxProduceRecords: number;
}

export const DEFAULT_ADMIN_LIMITS: Readonly<AdminLimits> = {
  maxPeekRecords: 1000,
  maxPeekBytes: 4 * 1024 * 1024,
  maxProduceRecords: 1000,
};

/** Records per page when the request names no `limit`. */
export const DEFAULT_PAGE_RECORDS = 100;
