// Analysts: selectivity rules and watchlists, and how they performed (monitoring).
import { Badge, Button, Group, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError } from '../api.ts';
import { hasRole, useAuth } from '../auth.tsx';
import { ChannelBadge, FormCard, Loading, ProblemAlert, Section } from '../components/common.tsx';
import { money, today } from '../format.ts';
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
      <Watchlists analyst={analyst} />
      <RuleMonitoring />
    </Stack>
  );
}

interface Watchlist {
  id: string;
  code: string;
  name: string;
  kind: string;
  channel: string;
  reason: string;
  active: boolean;
  entries: { id: string; value: string; note: string | null; validFrom: string; validTo: string | null; status: string }[];
}

/** Watchlists with their entries; analysts add lists and entries and end entries (never delete: history stays). */
function Watchlists({ analyst }: { analyst: boolean }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const lists = useQuery({ queryKey: ['watchlists'], queryFn: () => api.get<{ items: Watchlist[] }>('/risk/watchlists') });
  const [draft, setDraft] = useState({ name: '', kind: 'importer', channel: 'yellow', reason: '' });
  const refresh = () => client.invalidateQueries({ queryKey: ['watchlists'] });
  const create = useMutation({ mutationFn: () => api.post('/risk/watchlists', { name: draft.name.trim(), kind: draft.kind, channel: draft.channel, reason: draft.reason.trim() }), onSuccess: refresh });
  const fields = create.error instanceof ApiError ? create.error.fields : {};
  return (
    <Section title={t('risk.watchlists')}>
      {lists.isLoading && <Loading />}
      <ProblemAlert error={lists.error} />
      <Stack gap="sm">
        {(lists.data?.items ?? []).map((w) => (
          <Paper key={w.id} withBorder p="sm" data-watchlist={w.code}>
            <Group gap="xs">
              <Text fw={600}>{w.name}</Text>
              <Badge variant="outline">{w.kind}</Badge>
              <ChannelBadge channel={w.channel} />
              {!w.active && <Badge color="gray">{t('admin.inactive')}</Badge>}
            </Group>
            <Text size="sm" c="dimmed">
              {w.reason}
            </Text>
            <Table.ScrollContainer minWidth={480}>
              <Table>
                <Table.Tbody>
                  {w.entries.map((e) => (
                    <Table.Tr key={e.id}>
                      <Table.Td>{e.value}</Table.Td>
                      <Table.Td>
                        {e.validFrom} – {e.validTo ?? '…'}
                      </Table.Td>
                      <Table.Td>{e.status.replaceAll('_', ' ')}</Table.Td>
                      <Table.Td>{analyst && e.status !== 'expired' && <EndEntry list={w.id} entry={e.id} onDone={refresh} />}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            {analyst && <AddEntry list={w.id} onDone={refresh} />}
          </Paper>
        ))}
      </Stack>
      {analyst && (
        <Stack mt="sm">
          <FormCard title={t('risk.newWatchlist')} submit={t('common.save')} pending={create.isPending} error={create.error} onSubmit={() => create.mutate()}>
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <TextInput label={t('risk.name')} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })} error={fields['/name']} maxLength={200} required />
              <Select label={t('admin.kind')} value={draft.kind} onChange={(v) => setDraft({ ...draft, kind: v ?? 'importer' })} data={['importer', 'declarant', 'seller', 'hs']} allowDeselect={false} />
              <Select label={t('decl.channel')} value={draft.channel} onChange={(v) => setDraft({ ...draft, channel: v ?? 'yellow' })} data={['yellow', 'red']} allowDeselect={false} />
            </SimpleGrid>
            <Textarea mt="xs" label={t('risk.reason')} value={draft.reason} onChange={(e) => setDraft({ ...draft, reason: e.currentTarget.value })} error={fields['/reason']} maxLength={1000} required />
          </FormCard>
        </Stack>
      )}
    </Section>
  );
}

function AddEntry({ list, onDone }: { list: string; onDone: () => Promise<unknown> }) {
  const { t } = useI18n();
  const [value, setValue] = useState('');
  const [validFrom, setValidFrom] = useState(today());
  const add = useMutation({
    mutationFn: () => api.post(`/risk/watchlists/${list}/entries`, { value: value.trim(), validFrom }),
    onSuccess: async () => {
      setValue('');
      await onDone();
    },
  });
  const fields = add.error instanceof ApiError ? add.error.fields : {};
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate();
      }}
    >
      <Group align="flex-end" mt="xs" wrap="wrap">
        <TextInput label={t('risk.entryValue')} value={value} onChange={(e) => setValue(e.currentTarget.value)} error={fields['/value']} maxLength={200} required style={{ flex: 1, minWidth: 180 }} />
        <TextInput type="date" label={t('calc.validFrom')} value={validFrom} onChange={(e) => setValidFrom(e.currentTarget.value)} error={fields['/validFrom']} />
        <Button type="submit" variant="light" loading={add.isPending}>
          {t('risk.addEntry')}
        </Button>
      </Group>
      <ProblemAlert error={add.error} />
    </form>
  );
}

function EndEntry({ list, entry, onDone }: { list: string; entry: string; onDone: () => Promise<unknown> }) {
  const { t } = useI18n();
  const end = useMutation({ mutationFn: () => api.post(`/risk/watchlists/${list}/entries/${entry}/end`, { validTo: today() }), onSuccess: onDone });
  return (
    <>
      <Button size="xs" variant="subtle" color="red" onClick={() => end.mutate()} loading={end.isPending}>
        {t('risk.endEntry')}
      </Button>
      <ProblemAlert error={end.error} />
    </>
  );
}

interface RuleFigures {
  id: string;
  version: number;
  name: string;
  channel: string;
  selections: number;
  inspected: number;
  hits: number;
  hitRate: number | null;
  revenue: string;
}

/** How each rule and watchlist performed over the last 90 days: selections, inspected, hits, revenue. */
function RuleMonitoring() {
  const { t } = useI18n();
  const [from] = useState(() => new Date(Date.parse(`${today()}T00:00:00Z`) - 89 * 86_400_000).toISOString().slice(0, 10));
  const to = today();
  const mon = useQuery({ queryKey: ['monitoring', from, to], queryFn: () => api.get<{ rules: RuleFigures[]; watchlists: (Omit<RuleFigures, 'name' | 'version' | 'channel'> & { code: string })[] }>(`/risk/monitoring?from=${from}&to=${to}`) });
  const rows = [...(mon.data?.rules ?? []).map((r) => ({ ...r, label: `${r.name} v${r.version}` })), ...(mon.data?.watchlists ?? []).map((w) => ({ ...w, label: w.code, channel: '' }))];
  return (
    <Section title={t('risk.monitoring', { from, to })}>
      {mon.isLoading && <Loading />}
      <ProblemAlert error={mon.error} />
      {mon.data && (
        <Table.ScrollContainer minWidth={560}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('risk.name')}</Table.Th>
                <Table.Th className="figure">{t('risk.selections')}</Table.Th>
                <Table.Th className="figure">{t('dash.inspected')}</Table.Th>
                <Table.Th className="figure">{t('risk.hits')}</Table.Th>
                <Table.Th className="figure">{t('dash.hitRate')}</Table.Th>
                <Table.Th className="figure">{t('dash.revenueRecovered')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => (
                <Table.Tr key={r.id + r.label}>
                  <Table.Td>{r.label}</Table.Td>
                  <Table.Td className="figure">{r.selections}</Table.Td>
                  <Table.Td className="figure">{r.inspected}</Table.Td>
                  <Table.Td className="figure">{r.hits}</Table.Td>
                  <Table.Td className="figure">{r.hitRate === null ? '—' : `${(r.hitRate * 100).toFixed(1)}%`}</Table.Td>
                  <Table.Td className="figure">{money(r.revenue)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Section>
  );
}
