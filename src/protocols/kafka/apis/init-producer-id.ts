import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message } from '../protocol/schema.ts';
import { int16, int32, int64, nullableString } from '../protocol/types.ts';

/** InitProducerId (key 22): an id and epoch for an idempotent producer; from v3 a producer
 *  re-initialising passes its current id and epoch to have the epoch bumped. */
export const initProducerIdRequest = message(
  'InitProducerIdRequest',
  { valid: '0-5', flexible: '2+' },
  {
    transactionalId: field(nullableString, '0+'),
    transactionTimeoutMs: field(int32, '0+'),
    producerId: field(int64, '3+', -1),
    producerEpoch: field(int16, '3+', -1),
  },
);

export const initProducerIdResponse = message(
  'InitProducerIdResponse',
  { valid: '0-5', flexible: '2+' },
  {
    throttleTimeMs: field(int32, '0+'),
    errorCode: field(int16, '0+'),
    producerId: field(int64, '0+', -1),
    producerEpoch: field(int16, '0+'),
  },
);

export const initProducerIdApi = defineApi({
  key: ApiKey.InitProducerId,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  request: initProducerIdRequest,
  response: initProducerIdResponse,
});
