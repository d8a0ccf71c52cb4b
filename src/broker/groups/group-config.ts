import { ErrorCode, FerryError } from '../../common/errors.ts';

/**
 * The group coordinator's settings. The broker passes its `BrokerConfig` (a superset) as is: the
 * five fields Kafka operators know are required, the rest fall back to these defaults. Kafka's
 * broker config names are given for each field.
 */
export interface GroupConfig {
  /** `group.min.session.timeout.ms`: JoinGroup with a shorter session gets INVALID_SESSION_TIMEOUT. */
  groupMinSessionTimeoutMs: number;
  /** `group.max.session.timeout.ms`. */
  groupMaxSessionTimeoutMs: number;
  /** `group.initial.rebalance.delay.ms`: how long the first rebalance of an empty group waits for
   *  more members, extended by the same delay (up to the rebalance timeout) while members arrive. */
  groupInitialRebalanceDelayMs: number;
  /** `group.max.size`: members (and pending members) per group; GROUP_MAX_SIZE_REACHED above it. */
  groupMaxSize: number;
  /** `offsets.retention.minutes` in ms: committed offsets of a group without members expire this
   *  long after the group became empty (or after the commit, whichever is later). */
  offsetsRetentionMs: number;
  /** `offsets.retention.check.interval.ms`: how often expired offsets are looked for. */
  offsetsRetentionCheckIntervalMs: number;
  /** `offset.metadata.max.bytes`: the metadata string of one committed offset, in UTF-8 bytes. */
  offsetMetadataMaxBytes: number;
  /** Groups this coordinator holds (with members or committed offsets); TOO_MANY_GROUPS above it.
   *  Kafka has no such bound; a broker reachable by untrusted clients needs one. */
  groupMaxCount: number;
  /** Bytes of protocol metadata one member may send in JoinGroup (all protocols together), and of
   *  one member's assignment in SyncGroup. */
  groupMaxMemberMetadataBytes: number;
  /** Protocols (assignors) one member may offer in JoinGroup. */
  groupMaxProtocolsPerMember: number;
}

export const DEFAULT_GROUP_CONFIG: Readonly<GroupConfig> = Object.freeze({
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 3_000,
  groupMaxSize: 1_000,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4_096,
  groupMaxCount: 100_000,
  groupMaxMemberMetadataBytes: 1_048_576,
  groupMaxProtocolsPerMember: 32,
});

/** What the constructor takes: the fields the broker config always has, the rest optional. */
export type GroupConfigInput = Pick<
  GroupConfig,
  'groupMinSessionTimeoutMs' | 'groupMaxSessionTimeoutMs' | 'groupInitialRebalanceDelayMs' | 'groupMaxSize' | 'offsetsRetentionMs'
> &
  Partial<GroupConfig>;

export function resolveGroupConfig(input: GroupConfigInput): GroupConfig {
  const config: GroupConfig = {
    groupMinSessionTimeoutMs: input.groupMinSessionTimeoutMs,
    groupMaxSessionTimeoutMs: input.groupMaxSessionTimeoutMs,
    groupInitialRebalanceDelayMs: input.groupInitialRebalanceDelayMs,
    groupMaxSize: input.groupMaxSize,
    offsetsRetentionMs: input.offsetsRetentionMs,
    offsetsRetentionCheckIntervalMs: input.offsetsRetentionCheckIntervalMs ?? DEFAULT_GROUP_CONFIG.offsetsRetentionCheckIntervalMs,
    offsetMetadataMaxBytes: input.offsetMetadataMaxBytes ?? DEFAULT_GROUP_CONFIG.offsetMetadataMaxBytes,
    groupMaxCount: input.groupMaxCount ?? DEFAULT_GROUP_CONFIG.groupMaxCount,
    groupMaxMemberMetadataBytes: input.groupMaxMemberMetadataBytes ?? DEFAULT_GROUP_CONFIG.groupMaxMemberMetadataBytes,
    groupMaxProtocolsPerMember: input.groupMaxProtocolsPerMember ?? DEFAULT_GROUP_CONFIG.groupMaxProtocolsPerMember,
  };
  for (const [name, value] of Object.entries(config)) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new FerryError(ErrorCode.INVALID_CONFIG, `group config ${name} must be a non-negative integer, got ${value}`);
  }
  if (config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    throw new FerryError(ErrorCode.INVALID_CONFIG, 'groupMinSessionTimeoutMs is above groupMaxSessionTimeoutMs');
  }
  if (config.groupMaxSize < 1 || config.groupMaxCount < 1)
    throw new FerryError(ErrorCode.INVALID_CONFIG, 'groupMaxSize and groupMaxCount must be at least 1');
  return config;
}
