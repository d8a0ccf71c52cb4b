import type { MessageSchema } from './schema.ts';

/**
 * One Kafka API as Ferry serves it: the request and response schemas and the version range
 * advertised in ApiVersions (which may be narrower than the schemas: Ferry advertises what Kafka 3.x
 * brokers do, not the newer versions Kafka 4 added).
 */
export interface ApiSchema<Req, Res> {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly request: MessageSchema<Req>;
  readonly response: MessageSchema<Res>;
}

export function defineApi<Req, Res>(spec: ApiSchema<Req, Res>): ApiSchema<Req, Res> {
  for (const version of [spec.minVersion, spec.maxVersion]) {
    if (version < spec.request.validVersions.min || version > spec.request.validVersions.max) {
      throw new Error(`${spec.name}: advertised v${version} is outside the schema's versions`);
    }
  }
  return spec;
}

/** Kafka's API keys served by Ferry. */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  CreatePartitions: 37,
  DeleteGroups: 42,
  IncrementalAlterConfigs: 44,
  DescribeCluster: 60,
} as const;
