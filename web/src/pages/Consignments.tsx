// My consignments: the declarations of the caller's organisation (customs see all), with status
// filter, date range and a search by reference or B/L.
import { Button, Group, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, qs } from '../api.ts';
import { hasRole, useAuth } from '../auth.tsx';
import { ChannelBadge, Loading, ProblemAlert, StatusBadge } from '../components/common.tsx';
import { money, when } from '../format.ts';
import { useI18n, useLabel } from '../i18n.tsx';
import { Link } from '../router.tsx';
import type { DeclarationSummary } from '../types.ts';

const statuses = ['lodged', 'assessed', 'registered', 'paid', 'released', 'exited', 'queried', 'cancelled', 'rejected'];

export function Consignments() {
  const { t, lang } = useI18n();
  const label = useLabel();
  const { user } = useAuth();
  const [status, setStatus] = useState<string | null>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [search, setSearch] = useState('');
  const list = useInfiniteQuery({
    queryKey: ['declarations', status, from, to],
    queryFn: ({ pageParam }) => api.get<{ items: DeclarationSummary[]; nextCursor: string | null }>(`/declarations${qs({ status, from, to, limit: 50, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const term = search.trim().toUpperCase();
  const rows = (list.data?.pages.flatMap((p) => p.items) ?? []).filter(
    (d) => !term || d.reference.toUpperCase().includes(term) || (d.transportDocumentNumber ?? '').toUpperCase().includes(term) || d.importerPin.toUpperCase().includes(term),
  );
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{hasRole(user, 'officer', 'supervisor', 'risk_analyst', 'admin') ? t('nav.declarations') : t('consignments.title')}</Title>
        {hasRole(user, 'agent', 'trader') && (
          <Group gap="xs">
            <Button component={Link} to="/portal/declarations/new">
              {t('nav.newDeclaration')}
            </Button>
            <Button component={Link} to="/portal/exports/new" variant="light">
              {t('nav.newExport')}
            </Button>
          </Group>
        )}
      </Group>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
        <TextInput label={t('consignments.search')} value={search} onChange={(e) => setSearch(e.currentTarget.value)} placeholder="2026MBAIM4… / MAEU…" />
        <Select label={t('consignments.status')} clearable value={status} onChange={setStatus} data={statuses.map((s) => ({ value: s, label: label('status', s) }))} />
        <TextInput label={t('common.from')} type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        <TextInput label={t('common.to')} type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
      </SimpleGrid>
      <ProblemAlert error={list.error} />
      {list.isLoading ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Text>{t('consignments.none')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('decl.reference')}</Table.Th>
                <Table.Th>{t('decl.bl')}</Table.Th>
                <Table.Th>{t('consignments.status')}</Table.Th>
                <Table.Th>{t('decl.channel')}</Table.Th>
                <Table.Th className="figure">{t('decl.assessedTotal')}</Table.Th>
                <Table.Th>{t('decl.prn')}</Table.Th>
                <Table.Th>{t('decl.lodgedAt')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((d) => (
                <Table.Tr key={d.id}>
                  <Table.Td>
                    <Link to={`/portal/declarations/${d.id}`}>{d.reference}</Link>
                  </Table.Td>
                  <Table.Td>{d.transportDocumentNumber || (d.exitOfficeCode ? `${t('exp.title')}: ${d.exitOfficeCode} → ${d.destinationCountry ?? '—'}` : '—')}</Table.Td>
                  <Table.Td>
                    <StatusBadge status={d.status} />
                  </Table.Td>
                  <Table.Td>
                    <ChannelBadge channel={d.channel} />
                  </Table.Td>
                  <Table.Td className="figure">{money(d.assessedTotal)}</Table.Td>
                  <Table.Td>{d.prn ?? '—'}</Table.Td>
                  <Table.Td>{when(d.lodgedAt, lang)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {list.hasNextPage && (
        <Button variant="light" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
          {t('common.more')}
        </Button>
      )}
    </Stack>
  );
}
