import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, int16, int32, int64, string } from '../protocol/types.ts';

/** DeleteRecords (key 21): moves each partition's log start offset up to `offset` (-1 means the
 *  high watermark). */
export const deleteRecordsRequest = message(
  'DeleteRecordsRequest',
  { valid: '0-2', flexible: '2+' },
  {
    topics: field(
      array(
        struct({
          name: field(string, '0+'),
          partitions: field(array(struct({ partitionIndex: field(int32, '0+'), offset: field(int64, '0+') })), '0+'),
        }),
      ),
      '0+',
    ),
    timeoutMs: field(int32, '0+'),
  },
);

export const deleteRecordsResponse = message(
  'DeleteRecordsResponse',
  { valid: '0-2', flexible: '2+' },
  {
    throttleTimeMs: field(int32, '0+'),
    topics: field(
      array(
        struct({
          name: field(string, '0+'),
          partitions: field(
            array(struct({ partitionIndex: field(int32, '0+'), lowWatermark: field(int64, '0+'), errorCode: field(int16, '0+') })),
            '0+',
          ),
        }),
      ),
      '0+',
    ),
  },
);

export const deleteRecordsApi = defineApi({
  key: ApiKey.DeleteRecords,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  request: deleteRecordsRequest,
  response: deleteRecordsResponse,
});
