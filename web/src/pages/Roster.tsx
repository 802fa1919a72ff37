// Supervisors roster officers on and off duty at an office; the list shows their open tasks.
import { Button, Group, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError } from '../api.ts';
import { Loading, ProblemAlert } from '../components/common.tsx';
import { useI18n } from '../i18n.tsx';

interface Duty {
  officers: { officer: { id: string; name: string }; officeCode: string; tasksAwaitingFindings: number }[];
}

export function Roster() {
  const { t } = useI18n();
  const client = useQueryClient();
  const [office, setOffice] = useState('');
  const [officerId, setOfficerId] = useState('');
  const [onDuty, setOnDuty] = useState(true);
  // Without an office: who is on duty where, at every office.
  const code = office.trim().toUpperCase();
  const duty = useQuery({ queryKey: ['duty', code], queryFn: () => api.get<Duty>(`/inspection/duty${code.length >= 2 ? `?officeCode=${encodeURIComponent(code)}` : ''}`) });
  const set = useMutation({
    mutationFn: (b: { officerId: string; onDuty: boolean; officeCode: string }) => api.post('/inspection/duty', b),
    onSuccess: () => client.invalidateQueries({ queryKey: ['duty'] }),
  });
  const fields = set.error instanceof ApiError ? set.error.fields : {};
  return (
    <Stack maw={900}>
      <Title order={2}>{t('nav.roster')}</Title>
      <TextInput label={t('decl.office')} description={t('roster.allOffices')} value={office} onChange={(e) => setOffice(e.currentTarget.value)} maw={260} />
      {duty.isLoading ? (
        <Loading />
      ) : (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('work.officer')}</Table.Th>
              <Table.Th>{t('decl.office')}</Table.Th>
              <Table.Th>{t('roster.open')}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(duty.data?.officers ?? []).map((o) => (
              <Table.Tr key={o.officer.id}>
                <Table.Td>{o.officer.name}</Table.Td>
                <Table.Td>{o.officeCode}</Table.Td>
                <Table.Td>{o.tasksAwaitingFindings}</Table.Td>
                <Table.Td>
                  <Button size="xs" variant="light" color="red" onClick={() => set.mutate({ officerId: o.officer.id, onDuty: false, officeCode: o.officeCode })}>
                    {t('roster.offDuty')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          set.mutate({ officerId: officerId.trim(), onDuty, officeCode: code });
        }}
      >
        <Group align="flex-end">
          <TextInput label={t('roster.officerId')} value={officerId} onChange={(e) => setOfficerId(e.currentTarget.value)} error={fields['/officerId']} style={{ flex: 1, minWidth: 240 }} />
          <Switch label={t('roster.onDuty')} checked={onDuty} onChange={(e) => setOnDuty(e.currentTarget.checked)} />
          <Button type="submit" loading={set.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </form>
      <Text size="xs" c="dimmed">
        {t('roster.hint')}
      </Text>
      <ProblemAlert error={set.error} />
    </Stack>
  );
}
