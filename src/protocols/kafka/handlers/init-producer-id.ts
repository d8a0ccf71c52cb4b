import type { initProducerIdRequest, initProducerIdResponse } from '../apis/init-producer-id.ts';
import { KafkaErrorCode, kafkaFailure } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import type { RequestContext } from './context.ts';

type InitProducerIdRequest = Infer<typeof initProducerIdRequest>;
type InitProducerIdResponse = Infer<typeof initProducerIdResponse>;

/** InitProducerId: an id and epoch for an idempotent producer (a bumped epoch when v3+ passes
 *  the current ones). */
export async function handleInitProducerId(ctx: RequestContext, request: InitProducerIdRequest): Promise<InitProducerIdResponse> {
  try {
    const isReinit = request.producerId >= 0;
    const result = await ctx.broker.initProducerId({
      transactionalId: request.transactionalId,
      ...(isReinit ? { producerId: request.producerId, producerEpoch: request.producerEpoch } : {}),
    });
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, producerId: result.producerId, producerEpoch: result.producerEpoch };
  } catch (error) {
    return { throttleTimeMs: 0, errorCode: kafkaFailure(error, ctx.logger, 'InitProducerId').code, producerId: -1, producerEpoch: -1 };
  }
}
