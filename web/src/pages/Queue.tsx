// The officers' queue: verification tasks by status, office and channel; "mine" for one's own.
import { Group, SegmentedControl, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, qs } from '../api.ts';
import { ChannelBadge, Loading, ProblemAlert } from '../components/common.tsx';
import { when } from '../format.ts';
import { useI18n, useLabel } from '../i18n.tsx';
import { Link } from '../router.tsx';
import type { Task } from '../types.ts';

const taskStatuses = ['open', 'assigned', 'awaiting_declarant', 'escalated', 'awaiting_payment', 'closed'];

export function Queue() {
  const { t, lang } = useI18n();
  const label = useLabel();
  const [scope, setScope] = useState('me');
  const [status, setStatus] = useState<string | null>(null);
  const [office, setOffice] = useState('');
  const [channel, setChannel] = useState<string | null>(null);
  const tasks = useQuery({
    queryKey: ['tasks', scope, status, office],
    queryFn: () => api.get<{ items: Task[] }>(`/inspection/tasks${qs({ assignedTo: scope === 'me' ? 'me' : undefined, status, officeCode: office.trim().length >= 2 ? office.trim().toUpperCase() : undefined, limit: 200 })}`),
    refetchInterval: 10_000,
  });
  const rows = (tasks.data?.items ?? []).filter((task) => !channel || task.channel === channel);
  return (
    <Stack>
      <Title order={2}>{t('work.queue')}</Title>
      <Group>
        <SegmentedControl
          aria-label={t('work.scope')}
          value={scope}
          onChange={setScope}
          data={[
            { value: 'me', label: t('work.mine') },
            { value: 'all', label: t('work.all') },
          ]}
        />
      </Group>
      <SimpleGrid cols={{ base: 1, xs: 3 }}>
        <Select label={t('consignments.status')} clearable value={status} onChange={setStatus} data={taskStatuses.map((s) => ({ value: s, label: label('status', s) }))} />
        <TextInput label={t('decl.office')} value={office} onChange={(e) => setOffice(e.currentTarget.value)} placeholder="MBA" maxLength={8} />
        <Select label={t('decl.channel')} clearable value={channel} onChange={setChannel} data={['yellow', 'red', 'blue'].map((c) => ({ value: c, label: label('channel', c) }))} />
      </SimpleGrid>
      <ProblemAlert error={tasks.error} />
      {tasks.isLoading ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Text>{t('work.empty')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover data-testid="queue">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('work.task')}</Table.Th>
                <Table.Th>{t('decl.reference')}</Table.Th>
                <Table.Th>{t('decl.channel')}</Table.Th>
                <Table.Th>{t('work.kind')}</Table.Th>
                <Table.Th>{t('consignments.status')}</Table.Th>
                <Table.Th>{t('decl.office')}</Table.Th>
                <Table.Th>{t('work.officer')}</Table.Th>
                <Table.Th>{t('work.created')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((task) => (
                <Table.Tr key={task.id}>
                  <Table.Td>
                    <Link to={`/workbench/tasks/${task.id}`}>{task.number}</Link>
                  </Table.Td>
                  <Table.Td>{task.declaration.reference}</Table.Td>
                  <Table.Td>
                    <ChannelBadge channel={task.channel} />
                  </Table.Td>
                  <Table.Td>{label('status', task.kind)}</Table.Td>
                  <Table.Td>{label('status', task.status)}</Table.Td>
                  <Table.Td>{task.officeCode}</Table.Td>
                  <Table.Td>{task.assignedOfficer?.name ?? '—'}</Table.Td>
                  <Table.Td>{when(task.createdAt, lang)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
