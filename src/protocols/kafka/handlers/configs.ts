import type { TopicConfigEntries } from '../../../broker/types.ts';
import { ErrorCode, FerryError } from '../../../common/errors.ts';
import type { alterConfigsRequest, alterConfigsResponse } from '../apis/alter-configs.ts';
import type { describeConfigsRequest, describeConfigsResponse } from '../apis/describe-configs.ts';
import {
  ConfigOperation,
  type incrementalAlterConfigsRequest,
  type incrementalAlterConfigsResponse,
} from '../apis/incremental-alter-configs.ts';
import { KafkaErrorCode, kafkaFailure } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import { ConfigSource, ResourceType } from './config-entries.ts';
import type { RequestContext } from './context.ts';

type DescribeConfigsRequest = Infer<typeof describeConfigsRequest>;
type DescribeConfigsResponse = Infer<typeof describeConfigsResponse>;
type DescribeConfigsResult = DescribeConfigsResponse['results'][number];
type ConfigEntry = DescribeConfigsResult['configs'][number];
type AlterConfigsRequest = Infer<typeof alterConfigsRequest>;
type AlterConfigsResponse = Infer<typeof alterConfigsResponse>;
type IncrementalAlterConfigsRequest = Infer<typeof incrementalAlterConfigsRequest>;
type IncrementalAlterConfigsResponse = Infer<typeof incrementalAlterConfigsResponse>;
type AlterResult = AlterConfigsResponse['responses'][number];

/**
 * DescribeConfigs: a topic's effective config (its overrides as source "topic", the rest as
 * defaults) or the broker's settings (static: Ferry's broker config is set at start).
 */
export function handleDescribeConfigs(ctx: RequestContext, request: DescribeConfigsRequest): DescribeConfigsResponse {
  return {
    throttleTimeMs: 0,
    results: request.resources.map((resource): DescribeConfigsResult => {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      try {
        const { entries, sourceOf, readOnly } = configsOf(ctx, resource.resourceType, resource.resourceName);
        const wanted = resource.configurationKeys === null ? null : new Set(resource.configurationKeys);
        const configs = Object.entries(entries)
          .filter(([name]) => wanted === null || wanted.has(name))
          .map(([name, value]): ConfigEntry => {
            const source = sourceOf(name);
            return {
              name,
              value,
              readOnly,
              isDefault: source === ConfigSource.default,
              configSource: source,
              isSensitive: false,
              synonyms: request.includeSynonyms ? [{ name, value, source }] : [],
              configType: 0,
              documentation: null,
            };
          });
        return { errorCode: KafkaErrorCode.NONE, errorMessage: null, ...base, configs };
      } catch (error) {
        const failure = kafkaFailure(error, ctx.logger, 'DescribeConfigs');
        return { errorCode: failure.code, errorMessage: failure.message, ...base, configs: [] };
      }
    }),
  };
}

function configsOf(
  ctx: RequestContext,
  resourceType: number,
  resourceName: string,
): { entries: TopicConfigEntries; sourceOf: (name: string) => number; readOnly: boolean } {
  if (resourceType === ResourceType.topic) {
    const topic = ctx.broker.describeTopic(resourceName);
    return {
      entries: topic.config,
      sourceOf: (name) => (name in topic.overrides ? ConfigSource.topic : ConfigSource.default),
      readOnly: false,
    };
  }
  if (resourceType === ResourceType.broker) {
    checkBrokerName(ctx, resourceName);
    return { entries: ctx.broker.brokerConfig(), sourceOf: () => ConfigSource.staticBroker, readOnly: true };
  }
  throw new FerryError(ErrorCode.INVALID_REQUEST, `config resource type ${resourceType} is not supported (2 topic, 4 broker)`);
}

/** '' is the cluster-wide default resource; otherwise the name must be this broker's id. */
function checkBrokerName(ctx: RequestContext, resourceName: string): void {
  if (resourceName !== '' && resourceName !== String(ctx.node.nodeId)) {
    throw new FerryError(ErrorCode.INVALID_REQUEST, `broker ${resourceName} is not this broker (${ctx.node.nodeId})`);
  }
}

/** Broker settings come from Ferry's config at start; they are not changed over the wire. */
function refuseBroker(ctx: RequestContext, resourceName: string): never {
  checkBrokerName(ctx, resourceName);
  throw new FerryError(ErrorCode.INVALID_CONFIG, 'broker configs are static in Ferry: change the server config and restart');
}

function unsupportedType(resourceType: number): FerryError {
  return new FerryError(ErrorCode.INVALID_REQUEST, `config resource type ${resourceType} cannot be altered (2 topic)`);
}

/** AlterConfigs: the given entries become the topic's whole set of overrides (Kafka's
 *  non-incremental semantics). Validate-only checks that the topic exists. */
export async function handleAlterConfigs(ctx: RequestContext, request: AlterConfigsRequest): Promise<AlterConfigsResponse> {
  const responses: AlterResult[] = [];
  for (const resource of request.resources) {
    responses.push(
      await alter(ctx, 'AlterConfigs', resource.resourceType, resource.resourceName, async () => {
        const topic = ctx.broker.describeTopic(resource.resourceName);
        if (request.validateOnly) return;
        const set: TopicConfigEntries = {};
        for (const entry of resource.configs) if (entry.value !== null) set[entry.name] = entry.value;
        const remove = Object.keys(topic.overrides).filter((name) => !(name in set));
        await ctx.broker.alterTopicConfig(resource.resourceName, set, remove);
      }),
    );
  }
  return { throttleTimeMs: 0, responses };
}

/** IncrementalAlterConfigs (KIP-339): SET and DELETE per entry; APPEND and SUBTRACT edit a
 *  comma-separated list value starting from the effective one. */
export async function handleIncrementalAlterConfigs(
  ctx: RequestContext,
  request: IncrementalAlterConfigsRequest,
): Promise<IncrementalAlterConfigsResponse> {
  const responses: AlterResult[] = [];
  for (const resource of request.resources) {
    responses.push(
      await alter(ctx, 'IncrementalAlterConfigs', resource.resourceType, resource.resourceName, async () => {
        const topic = ctx.broker.describeTopic(resource.resourceName);
        const set: TopicConfigEntries = {};
        const remove: string[] = [];
        const names = new Set<string>();
        for (const entry of resource.configs) {
          if (names.has(entry.name)) throw new FerryError(ErrorCode.INVALID_REQUEST, `config ${entry.name} appears more than once`);
          names.add(entry.name);
          const current = topic.config[entry.name];
          switch (entry.configOperation) {
            case ConfigOperation.set:
              if (entry.value === null) throw new FerryError(ErrorCode.INVALID_CONFIG, `SET ${entry.name} needs a value`);
              set[entry.name] = entry.value;
              break;
            case ConfigOperation.delete:
              remove.push(entry.name);
              break;
            case ConfigOperation.append:
            case ConfigOperation.subtract:
              set[entry.name] = editList(current, entry.value, entry.configOperation === ConfigOperation.append);
              break;
            default:
              throw new FerryError(ErrorCode.INVALID_REQUEST, `unknown config operation ${entry.configOperation}`);
          }
        }
        if (!request.validateOnly) await ctx.broker.alterTopicConfig(resource.resourceName, set, remove);
      }),
    );
  }
  return { throttleTimeMs: 0, responses };
}

function editList(current: string | undefined, value: string | null, isAppend: boolean): string {
  const items = (current ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const changes = (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const result = isAppend
    ? [...items, ...changes.filter((item) => !items.includes(item))]
    : items.filter((item) => !changes.includes(item));
  return result.join(',');
}

async function alter(
  ctx: RequestContext,
  api: string,
  resourceType: number,
  resourceName: string,
  apply: () => Promise<void>,
): Promise<AlterResult> {
  try {
    if (resourceType === ResourceType.broker) refuseBroker(ctx, resourceName);
    if (resourceType !== ResourceType.topic) throw unsupportedType(resourceType);
    await apply();
    return { errorCode: KafkaErrorCode.NONE, errorMessage: null, resourceType, resourceName };
  } catch (error) {
    const failure = kafkaFailure(error, ctx.logger, api);
    return { errorCode: failure.code, errorMessage: failure.message, resourceType, resourceName };
  }
}
