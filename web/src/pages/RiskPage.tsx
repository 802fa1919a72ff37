// Analysts: selectivity rules and watchlists, and how they performed (monitoring).
import { Badge, Button, Group, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError } from '../api.ts';
import { hasRole, useAuth } from '../auth.tsx';
import { ChannelBadge, Loading, ProblemAlert, Section } from '../components/common.tsx';
import { today } from '../format.ts';
import { useI18n } from '../i18n.tsx';

interface Rule {
  id: string;
  code?: string;
  name: string;
  reason: string;
  channel: string;
  priority: number;
  validFrom: string;
  validTo: string | null;
  version?: number;
}

export function RiskPage() {
  const { t } = useI18n();
  const { user } = useAuth();
  const analyst = hasRole(user, 'risk_analyst');
  const client = useQueryClient();
  const rules = useQuery({ queryKey: ['rules'], queryFn: () => api.get<{ items?: Rule[]; rules?: Rule[] }>('/risk/rules') });
  const watchlists = useQuery({ queryKey: ['watchlists'], queryFn: () => api.get<{ items?: { id: string; code?: string; name: string; kind?: string }[] }>('/risk/watchlists') });
  const [draft, setDraft] = useState({ name: '', reason: '', channel: 'red', priority: '5', validFrom: today(), hsCodes: '', originCountries: '', changeReason: '' });
  const create = useMutation({
    mutationFn: () =>
      api.post('/risk/rules', {
        name: draft.name.trim(),
        reason: draft.reason.trim(),
        channel: draft.channel,
        priority: Number(draft.priority),
        validFrom: draft.validFrom,
        criteria: {
          ...(draft.hsCodes.trim() ? { hsCodes: draft.hsCodes.split(/[ ,]+/).filter(Boolean) } : {}),
          ...(draft.originCountries.trim() ? { originCountries: draft.originCountries.toUpperCase().split(/[ ,]+/).filter(Boolean) } : {}),
        },
        ...(draft.changeReason.trim() ? { changeReason: draft.changeReason.trim() } : {}),
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['rules'] }),
  });
  const fields = create.error instanceof ApiError ? create.error.fields : {};
  const list = rules.data?.items ?? rules.data?.rules ?? [];
  return (
    <Stack maw={1100}>
      <Title order={2}>{t('nav.risk')}</Title>
      <Section title={t('risk.rules')}>
        {rules.isLoading ? (
          <Loading />
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('risk.name')}</Table.Th>
                  <Table.Th>{t('decl.channel')}</Table.Th>
                  <Table.Th>{t('risk.priority')}</Table.Th>
                  <Table.Th>{t('calc.validFrom')}</Table.Th>
                  <Table.Th>{t('risk.reason')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((r) => (
                  <Table.Tr key={r.id}>
                    <Table.Td>{r.name}</Table.Td>
                    <Table.Td>
                      <ChannelBadge channel={r.channel} />
                    </Table.Td>
                    <Table.Td>{r.priority}</Table.Td>
                    <Table.Td>{r.validFrom}</Table.Td>
                    <Table.Td>{r.reason}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        <ProblemAlert error={rules.error} />
      </Section>
      {analyst && (
        <Section title={t('risk.newRule')}>
          <Paper withBorder p="sm">
            <form
              onSubmit={(e) => {
                e.preventDefault();
                create.mutate();
              }}
            >
              <SimpleGrid cols={{ base: 1, sm: 3 }}>
                <TextInput label={t('risk.name')} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })} error={fields['/name']} required />
                <Select label={t('decl.channel')} data={['red', 'yellow', 'blue']} value={draft.channel} onChange={(v) => setDraft({ ...draft, channel: v ?? 'red' })} allowDeselect={false} />
                <TextInput label={t('risk.priority')} value={draft.priority} onChange={(e) => setDraft({ ...draft, priority: e.currentTarget.value })} error={fields['/priority']} />
                <TextInput label={t('calc.validFrom')} type="date" value={draft.validFrom} onChange={(e) => setDraft({ ...draft, validFrom: e.currentTarget.value })} error={fields['/validFrom']} />
                <TextInput label={t('risk.hsCodes')} value={draft.hsCodes} onChange={(e) => setDraft({ ...draft, hsCodes: e.currentTarget.value })} error={fields['/criteria/hsCodes']} placeholder="8703 8517.13" />
                <TextInput label={t('risk.origins')} value={draft.originCountries} onChange={(e) => setDraft({ ...draft, originCountries: e.currentTarget.value })} error={fields['/criteria/originCountries']} placeholder="JP AE" />
              </SimpleGrid>
              <Textarea mt="xs" label={t('risk.reason')} value={draft.reason} onChange={(e) => setDraft({ ...draft, reason: e.currentTarget.value })} error={fields['/reason']} required />
              <Textarea mt="xs" label={t('risk.changeReason')} value={draft.changeReason} onChange={(e) => setDraft({ ...draft, changeReason: e.currentTarget.value })} error={fields['/changeReason']} />
              <Group mt="sm">
                <Button type="submit" loading={create.isPending}>
                  {t('common.save')}
                </Button>
              </Group>
              <ProblemAlert error={create.error} />
            </form>
          </Paper>
        </Section>
      )}
      <Section title={t('risk.watchlists')}>
        <Group>
          {(watchlists.data?.items ?? []).map((w) => (
            <Badge key={w.id} variant="outline">
              {w.code ?? w.name}
            </Badge>
          ))}
          {(watchlists.data?.items ?? []).length === 0 && <Text size="sm">—</Text>}
        </Group>
      </Section>
    </Stack>
  );
}
