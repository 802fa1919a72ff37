// Dashboards for customs: lodged, assessed and released per day; revenue by tax head and office;
// channel mix and hit rates; arrival-to-release times; over a date range.
import { Group, Paper, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, qs } from '../api.ts';
import { Bars } from '../components/Bars.tsx';
import { ChannelBadge, Loading, ProblemAlert, Section } from '../components/common.tsx';
import { money, today } from '../format.ts';
import { useI18n } from '../i18n.tsx';

interface Stats {
  from: string;
  to: string;
  perDay: { day: string; lodged: number; assessed: number; released: number }[];
  revenueByTaxHead: { code: string; amount: string }[];
  revenueByOffice: { officeCode: string; amount: string }[];
  arrivalToRelease: { released: number; medianHours: number | null; p90Hours: number | null };
}

interface Monitoring {
  declarations: number;
  inspected: number;
  inspectionRate: number | null;
  hits: number;
  revenue: string;
  channels: { channel: string; declarations: number; share: number | null; inspected: number; hits: number; hitRate: number | null; revenue: string }[];
}

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);

export function Dashboard() {
  const { t } = useI18n();
  const [to, setTo] = useState(today());
  const [from, setFrom] = useState(() => new Date(Date.now() - 29 * 86400_000).toISOString().slice(0, 10));
  const range = qs({ from, to });
  const stats = useQuery({ queryKey: ['stats', from, to], queryFn: () => api.get<Stats>(`/stats${range}`), enabled: !!from && !!to });
  const mon = useQuery({ queryKey: ['monitoring', from, to], queryFn: () => api.get<Monitoring>(`/risk/monitoring${range}`), enabled: !!from && !!to });
  const s = stats.data;
  return (
    <Stack maw={1200}>
      <Title order={2}>{t('nav.dashboard')}</Title>
      <Group>
        <TextInput type="date" label={t('common.from')} value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        <TextInput type="date" label={t('common.to')} value={to} onChange={(e) => setTo(e.currentTarget.value)} />
      </Group>
      <ProblemAlert error={stats.error ?? mon.error} />
      {stats.isLoading && <Loading />}
      {s && (
        <>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            {(['lodged', 'assessed', 'released'] as const).map((k) => (
              <Paper key={k} withBorder p="sm">
                <Text fw={600}>{t(`dash.${k}`)}</Text>
                <Text size="xl" fw={700}>
                  {s.perDay.reduce((a, d) => a + d[k], 0)}
                </Text>
                <Bars label={t(`dash.${k}`)} data={s.perDay.map((d) => ({ key: d.day, value: d[k] }))} />
              </Paper>
            ))}
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Section title={t('dash.revenueByTaxHead')}>
              <Table>
                <Table.Tbody>
                  {s.revenueByTaxHead.map((r) => (
                    <Table.Tr key={r.code}>
                      <Table.Td>{r.code}</Table.Td>
                      <Table.Td className="figure">{money(r.amount)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Section>
            <Section title={t('dash.revenueByOffice')}>
              <Table>
                <Table.Tbody>
                  {s.revenueByOffice.map((r) => (
                    <Table.Tr key={r.officeCode}>
                      <Table.Td>{r.officeCode}</Table.Td>
                      <Table.Td className="figure">{money(r.amount)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Section>
            <Section title={t('dash.arrivalToRelease')}>
              <Text>
                {t('dash.median')}: <b>{s.arrivalToRelease.medianHours ?? '—'}</b> h
              </Text>
              <Text>
                {t('dash.p90')}: <b>{s.arrivalToRelease.p90Hours ?? '—'}</b> h
              </Text>
              <Text size="sm" c="dimmed">
                {t('dash.releasedCount', { n: s.arrivalToRelease.released })}
              </Text>
            </Section>
          </SimpleGrid>
        </>
      )}
      {mon.data && (
        <Section title={t('dash.channels')}>
          <Table.ScrollContainer minWidth={560}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('decl.channel')}</Table.Th>
                  <Table.Th className="figure">{t('dash.declarations')}</Table.Th>
                  <Table.Th className="figure">{t('dash.share')}</Table.Th>
                  <Table.Th className="figure">{t('dash.inspected')}</Table.Th>
                  <Table.Th className="figure">{t('dash.hitRate')}</Table.Th>
                  <Table.Th className="figure">{t('dash.revenueRecovered')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {mon.data.channels.map((c) => (
                  <Table.Tr key={c.channel}>
                    <Table.Td>
                      <ChannelBadge channel={c.channel} />
                    </Table.Td>
                    <Table.Td className="figure">{c.declarations}</Table.Td>
                    <Table.Td className="figure">{pct(c.share)}</Table.Td>
                    <Table.Td className="figure">{c.inspected}</Table.Td>
                    <Table.Td className="figure">{pct(c.hitRate)}</Table.Td>
                    <Table.Td className="figure">{money(c.revenue)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Section>
      )}
    </Stack>
  );
}
