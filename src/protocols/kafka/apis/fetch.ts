import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct, tagged } from '../protocol/schema.ts';
import { array, int16, int32, int64, int8, nullableArray, nullableString, records, string, uuid } from '../protocol/types.ts';

/** Fetch (key 1): FetchRequest.json / FetchResponse.json. v13+ name topics by id. v0-v3 return
 *  the pre-v2 message format, which Ferry does not convert to: they are advertised (librdkafka
 *  2.x enables its gzip/snappy/lz4 support only when the broker's range includes Fetch v2, as
 *  Kafka 3.x's does) and answered per partition with UNSUPPORTED_FOR_MESSAGE_FORMAT. `records` in the response are the stored
 *  batches, referenced (not copied) into the output. */
export const fetchRequest = message(
  'FetchRequest',
  { valid: '0-17', flexible: '12+' },
  {
    clusterId: tagged(nullableString, '12+', 0),
    replicaId: field(int32, '0-14', -1),
    replicaState: tagged(
      struct({
        replicaId: field(int32, '15+', -1),
        replicaEpoch: field(int64, '15+', -1),
      }),
      '15+',
      1,
    ),
    maxWaitMs: field(int32, '0+'),
    minBytes: field(int32, '0+'),
    maxBytes: field(int32, '3+', 0x7fffffff),
    isolationLevel: field(int8, '4+'),
    sessionId: field(int32, '7+'),
    sessionEpoch: field(int32, '7+', -1),
    topics: field(
      array(
        struct({
          topic: field(string, '0-12'),
          topicId: field(uuid, '13+'),
          partitions: field(
            array(
              struct({
                partition: field(int32, '0+'),
                currentLeaderEpoch: field(int32, '9+', -1),
                fetchOffset: field(int64, '0+'),
                lastFetchedEpoch: field(int32, '12+', -1),
                logStartOffset: field(int64, '5+', -1),
                partitionMaxBytes: field(int32, '0+'),
                replicaDirectoryId: tagged(uuid, '17+', 0),
              }),
            ),
            '0+',
          ),
        }),
      ),
      '0+',
    ),
    forgottenTopicsData: field(
      array(
        struct({
          topic: field(string, '7-12'),
          topicId: field(uuid, '13+'),
          partitions: field(array(int32), '7+'),
        }),
      ),
      '7+',
    ),
    rackId: field(string, '11+'),
  },
);

const epochEndOffset = struct({ epoch: field(int32, '0+', -1), endOffset: field(int64, '0+', -1) });
const leaderIdAndEpoch = struct({ leaderId: field(int32, '0+', -1), leaderEpoch: field(int32, '0+', -1) });
const snapshotId = struct({ endOffset: field(int64, '0+', -1), epoch: field(int32, '0+', -1) });

export const fetchResponse = message(
  'FetchResponse',
  { valid: '0-17', flexible: '12+' },
  {
    throttleTimeMs: field(int32, '1+'),
    errorCode: field(int16, '7+'),
    sessionId: field(int32, '7+'),
    responses: field(
      array(
        struct({
          topic: field(string, '0-12'),
          topicId: field(uuid, '13+'),
          partitions: field(
            array(
              struct({
                partitionIndex: field(int32, '0+'),
                errorCode: field(int16, '0+'),
                highWatermark: field(int64, '0+'),
                lastStableOffset: field(int64, '4+', -1),
                logStartOffset: field(int64, '5+', -1),
                divergingEpoch: tagged(epochEndOffset, '12+', 0),
                currentLeader: tagged(leaderIdAndEpoch, '12+', 1),
                snapshotId: tagged(snapshotId, '12+', 2),
                abortedTransactions: field(
                  nullableArray(struct({ producerId: field(int64, '4+'), firstOffset: field(int64, '4+') })),
                  '4+',
                ),
                preferredReadReplica: field(int32, '11+', -1),
                records: field(records, '0+'),
              }),
            ),
            '0+',
          ),
        }),
      ),
      '0+',
    ),
    nodeEndpoints: tagged(
      array(
        struct({
          nodeId: field(int32, '16+'),
          host: field(string, '16+'),
          port: field(int32, '16+'),
          rack: field(nullableString, '16+'),
        }),
      ),
      '16+',
      0,
    ),
  },
);

export const fetchApi = defineApi({
  key: ApiKey.Fetch,
  name: 'Fetch',
  minVersion: 0,
  maxVersion: 17,
  request: fetchRequest,
  response: fetchResponse,
});
