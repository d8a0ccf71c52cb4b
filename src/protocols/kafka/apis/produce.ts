import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct, tagged } from '../protocol/schema.ts';
import { array, int16, int32, int64, nullableString, records, string } from '../protocol/types.ts';

/** Produce (key 0): ProduceRequest.json / ProduceResponse.json. `records` is a view of the request.
 *  v0-v2 carry the pre-v2 message format, which Ferry does not store: they are advertised (librdkafka
 *  2.x enables gzip/snappy/lz4 only when the range includes Produce v2, as Kafka 3.x's does) and
 *  answered per partition with UNSUPPORTED_FOR_MESSAGE_FORMAT. */
export const produceRequest = message(
  'ProduceRequest',
  { valid: '0-11', flexible: '9+' },
  {
    transactionalId: field(nullableString, '3+'),
    acks: field(int16, '0+'),
    timeoutMs: field(int32, '0+'),
    topicData: field(
      array(
        struct({
          name: field(string, '0+'),
          partitionData: field(
            array(
              struct({
                index: field(int32, '0+'),
                records: field(records, '0+'),
              }),
            ),
            '0+',
          ),
        }),
      ),
      '0+',
    ),
  },
);

const leaderIdAndEpoch = struct({
  leaderId: field(int32, '0+', -1),
  leaderEpoch: field(int32, '0+', -1),
});

const nodeEndpoint = struct({
  nodeId: field(int32, '0+'),
  host: field(string, '0+'),
  port: field(int32, '0+'),
  rack: field(nullableString, '0+'),
});

export const produceResponse = message(
  'ProduceResponse',
  { valid: '0-11', flexible: '9+' },
  {
    responses: field(
      array(
        struct({
          name: field(string, '0+'),
          partitionResponses: field(
            array(
              struct({
                index: field(int32, '0+'),
                errorCode: field(int16, '0+'),
                baseOffset: field(int64, '0+'),
                logAppendTimeMs: field(int64, '2+', -1),
                logStartOffset: field(int64, '5+', -1),
                recordErrors: field(
                  array(
                    struct({
                      batchIndex: field(int32, '8+'),
                      batchIndexErrorMessage: field(nullableString, '8+'),
                    }),
                  ),
                  '8+',
                ),
                errorMessage: field(nullableString, '8+'),
                currentLeader: tagged(leaderIdAndEpoch, '10+', 0),
              }),
            ),
            '0+',
          ),
        }),
      ),
      '0+',
    ),
    throttleTimeMs: field(int32, '1+'),
    nodeEndpoints: tagged(array(nodeEndpoint), '10+', 0),
  },
);

export const produceApi = defineApi({
  key: ApiKey.Produce,
  name: 'Produce',
  minVersion: 0,
  maxVersion: 11,
  request: produceRequest,
  response: produceResponse,
});
