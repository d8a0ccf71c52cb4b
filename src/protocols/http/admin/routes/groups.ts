import type { BrokerWithQueues } from '../../../../broker/types.ts';
import { ErrorCode, FerryError } from '../../../../common/errors.ts';
import { type AdminRoute, route } from '../route.ts';
import { closedObject, groupParams } from '../schemas.ts';

const TAG = 'groups';

const groupSummaryOut = {
  type: 'object',
  properties: { groupId: { type: 'string' }, protocolType: { type: 'string' }, state: { type: 'string' } },
  required: ['groupId', 'protocolType', 'state'],
};

const groupOut = {
  type: 'object',
  properties: {
    groupId: { type: 'string' },
    state: { type: 'string', enum: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'] },
    protocolType: { type: 'string' },
    protocolName: { type: 'string' },
    generationId: { type: 'integer' },
    leaderId: { type: ['string', 'null'] },
    members: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          memberId: { type: 'string' },
          groupInstanceId: { type: ['string', 'null'] },
          clientId: { type: 'string' },
          clientHost: { type: 'string' },
          assignedPartitions: {
            type: 'array',
            items: {
              type: 'object',
              properties: { topic: { type: 'string' }, partitions: { type: 'array', items: { type: 'integer' } } },
              required: ['topic', 'partitions'],
            },
          },
        },
        required: ['memberId', 'groupInstanceId', 'clientId', 'clientHost', 'assignedPartitions'],
      },
    },
    offsets: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          topic: { type: 'string' },
          partition: { type: 'integer' },
          committedOffset: { type: 'integer', description: '-1 when nothing is committed.' },
          logEndOffset: { type: 'integer' },
          lag: { type: 'integer', description: 'Records between the committed offset and the high watermark.' },
          memberId: { type: ['string', 'null'], description: 'Member the partition is assigned to, if any.' },
        },
        required: ['topic', 'partition', 'committedOffset', 'logEndOffset', 'lag', 'memberId'],
      },
    },
    totalLag: { type: 'integer' },
  },
  required: ['groupId', 'state', 'protocolType', 'protocolName', 'generationId', 'leaderId', 'members', 'offsets', 'totalLag'],
};

/** Consumer groups (the `stream` subscriptions): list, describe with lag per partition, delete. */
export function groupRoutes(broker: BrokerWithQueues): AdminRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/groups',
      operationId: 'listGroups',
      summary: 'List consumer groups with their state.',
      tag: TAG,
      querystring: closedObject({}),
      successStatus: 200,
      response: { type: 'object', properties: { groups: { type: 'array', items: groupSummaryOut } }, required: ['groups'] },
      async handle() {
        return { groups: broker.listGroups().sort((a, b) => a.groupId.localeCompare(b.groupId)) };
      },
    }),
    route<{ group: string }>({
      method: 'GET',
      url: '/api/groups/:group',
      operationId: 'describeGroup',
      summary: 'Describe a consumer group: members with their assigned partitions, committed offsets and lag per partition.',
      tag: TAG,
      params: groupParams,
      successStatus: 200,
      response: groupOut,
      async handle({ params }) {
        const group = broker.describeGroup(params.group);
        // The coordinator describes an unknown group as Dead and empty (Kafka's DescribeGroups);
        // over HTTP a missing resource is a 404.
        if (group.state === 'Dead' && group.members.length === 0 && group.offsets.length === 0) {
          throw new FerryError(ErrorCode.GROUP_ID_NOT_FOUND, `group ${params.group} does not exist`, { group: params.group });
        }
        return { ...group, totalLag: group.offsets.reduce((sum, entry) => sum + Math.max(0, entry.lag), 0) };
      },
    }),
    route<{ group: string }>({
      method: 'DELETE',
      url: '/api/groups/:group',
      operationId: 'deleteGroup',
      summary: 'Delete a consumer group without members, with its committed offsets (409 while it has members).',
      tag: TAG,
      params: groupParams,
      successStatus: 204,
      response: null,
      async handle({ params }) {
        const error = (await broker.deleteGroups([params.group])).get(params.group);
        if (error) throw error;
      },
    }),
  ];
}
