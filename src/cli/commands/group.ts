import type { Command } from 'commander';
import type { GroupDescription } from '../../client/index.ts';
import { addBrokerOption, type BrokerOptions, withClient } from '../client-options.ts';
import { formatFields, formatJson, formatTable, print } from '../output.ts';

interface JsonOption {
  json?: boolean;
}

/** `ferry group list|describe|delete`. */
export function registerGroupCommands(program: Command): void {
  const group = program.command('group').description('list, describe and delete consumer groups');

  addBrokerOption(group.command('list').description('list consumer groups').option('--json', 'print JSON')).action(
    async (options: BrokerOptions & JsonOption) => {
      const groups = await withClient(options, (client) => client.admin().listGroups());
      groups.sort((a, b) => a.groupId.localeCompare(b.groupId));
      if (options.json) print(formatJson(groups));
      else
        print(
          formatTable(
            ['GROUP', 'STATE', 'PROTOCOL-TYPE'],
            groups.map((g) => [g.groupId, g.state, g.protocolType || null]),
          ),
        );
    },
  );

  addBrokerOption(
    group
      .command('describe')
      .description('show members, assignment, committed offsets and lag per partition')
      .argument('<group>', 'group id')
      .option('--json', 'print JSON'),
  ).action(async (groupId: string, options: BrokerOptions & JsonOption) => {
    const description = await withClient(options, (client) => client.admin().describeGroup(groupId));
    // metadata and assignment are opaque bytes; assignedPartitions already says what they hold.
    const forJson = { ...description, members: description.members.map(({ metadata: _m, assignment: _a, ...member }) => member) };
    print(options.json ? formatJson(forJson) : formatGroup(description));
  });

  addBrokerOption(
    group.command('delete').description('delete an empty group and its committed offsets').argument('<group>', 'group id'),
  ).action(async (groupId: string, options: BrokerOptions) => {
    await withClient(options, (client) => client.admin().deleteGroups([groupId]));
    print(`deleted group ${groupId}`);
  });
}

function formatGroup(group: GroupDescription): string {
  const totalLag = group.offsets.reduce((sum, o) => sum + Math.max(0, o.lag), 0);
  const header = formatFields([
    ['group', group.groupId],
    ['state', group.state],
    ['protocol', group.protocolType ? [group.protocolType, group.protocolName].filter(Boolean).join('/') : null],
    ['generation', group.generationId],
    ['leader', group.leaderId],
    ['members', group.members.length],
    ['total lag', totalLag],
  ]);
  const members = formatTable(
    ['MEMBER', 'CLIENT-ID', 'HOST', 'ASSIGNMENT'],
    group.members.map((m) => [
      m.memberId,
      m.clientId,
      m.clientHost,
      m.assignedPartitions.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ') || null,
    ]),
  );
  const offsets = formatTable(
    ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'MEMBER'],
    [...group.offsets]
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
      .map((o) => [o.topic, o.partition, o.committedOffset < 0 ? null : o.committedOffset, o.logEndOffset, o.lag, o.memberId]),
  );
  return `${header}\n\n${members}\n\n${offsets}`;
}
