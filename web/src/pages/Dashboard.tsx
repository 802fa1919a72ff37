// Dashboards for customs: lodged, assessed and released per day; revenue by tax head and office;
// channel mix and hit rates; arrival-to-release times; over a date range.
import { Button, Group, Paper, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, qs } from '../api.ts';
import { HBars, SeriesChart } from '../components/Bars.tsx';
import { ChannelBadge, Loading, ProblemAlert, Section } from '../components/common.tsx';
import { money, today } from '../format.ts';
import { useI18n, useLabel } from '../i18n.tsx';
import { useRouter } from '../router.tsx';

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

const seriesColour = { lodged: '#1c7ed6', assessed: '#f08c00', released: '#0b7541' } as const;
const channelColour: Record<string, string> = { green: '#2b8a3e', yellow: '#e8b100', red: '#c92a2a', blue: '#1864ab' };

const dayMs = 86_400_000;
const daysBefore = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) - n * dayMs).toISOString().slice(0, 10);
const spanDays = (from: string, to: string) => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / dayMs;

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);

export function Dashboard() {
  const { t } = useI18n();
  const label = useLabel();
  // The range is in the address (?from=&to=), so a dashboard can be shared or bookmarked.
  const { location, navigate } = useRouter();
  const asked = (name: string) => {
    const v = location.search.get(name) ?? '';
    return /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined;
  };
  const [to, setToState] = useState(() => asked('to') ?? today());
  const [from, setFromState] = useState(() => asked('from') ?? daysBefore(asked('to') ?? today(), 29));
  const remember = (f: string, t2: string) => navigate(`/dashboard${qs({ from: f, to: t2 })}`, true);
  const setFrom = (v: string) => {
    setFromState(v);
    remember(v, to);
  };
  const setTo = (v: string) => {
    setToState(v);
    remember(from, v);
  };
  // The API takes at most 366 days, to on or after from: said here before asking.
  const rangeError = !from || !to ? t('dash.rangeMissing') : to < from ? t('dash.rangeOrder') : spanDays(from, to) > 366 ? t('dash.rangeTooLong') : undefined;
  const range = qs({ from, to });
  const stats = useQuery({ queryKey: ['stats', from, to], queryFn: () => api.get<Stats>(`/stats${range}`), enabled: !rangeError });
  const mon = useQuery({ queryKey: ['monitoring', from, to], queryFn: () => api.get<Monitoring>(`/risk/monitoring${range}`), enabled: !rangeError });
  const preset = (days: number) => {
    const end = today();
    setToState(end);
    setFromState(daysBefore(end, days - 1));
    remember(daysBefore(end, days - 1), end);
  };
  const s = stats.data;
  return (
    <Stack maw={1200}>
      <Title order={2}>{t('nav.dashboard')}</Title>
      <Group align="flex-end" wrap="wrap">
        <TextInput type="date" label={t('common.from')} value={from} max={to} onChange={(e) => setFrom(e.currentTarget.value)} error={rangeError && to < from ? rangeError : undefined} />
        <TextInput type="date" label={t('common.to')} value={to} min={from} onChange={(e) => setTo(e.currentTarget.value)} />
        <Group gap={4}>
          {[7, 30, 90, 365].map((n) => (
            <Button key={n} size="xs" variant="default" onClick={() => preset(n)}>
              {t('dash.lastDays', { n })}
            </Button>
          ))}
        </Group>
      </Group>
      {rangeError && !(to < from) && (
        <Text c="red" size="sm" role="alert">
          {rangeError}
        </Text>
      )}
      <ProblemAlert error={stats.error ?? mon.error} />
      {stats.isLoading && <Loading />}
      {s && (
        <>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            {(['lodged', 'assessed', 'released'] as const).map((k) => (
              <Paper key={k} withBorder p="sm">
                <Text fw={600}>{t(`dash.${k}`)}</Text>
                <Text size="xl" fw={700} data-testid={`total-${k}`}>
                  {s.perDay.reduce((a, d) => a + d[k], 0)}
                </Text>
              </Paper>
            ))}
          </SimpleGrid>
          <Section title={t('dash.perDay')}>
            <SeriesChart
              label={t('dash.perDayLabel', { from: s.from, to: s.to })}
              keys={s.perDay.map((d) => d.day)}
              series={(['lodged', 'assessed', 'released'] as const).map((k) => ({ name: t(`dash.${k}`), colour: seriesColour[k], values: s.perDay.map((d) => d[k]) }))}
            />
          </Section>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Section title={t('dash.revenueByTaxHead')}>
              {s.revenueByTaxHead.length === 0 ? <Text size="sm">—</Text> : <HBars label={t('dash.revenueByTaxHead')} rows={s.revenueByTaxHead.map((r) => ({ key: r.code, value: Number(r.amount), text: money(r.amount) }))} />}
            </Section>
            <Section title={t('dash.revenueByOffice')}>
              {s.revenueByOffice.length === 0 ? <Text size="sm">—</Text> : <HBars label={t('dash.revenueByOffice')} colour="#0b7541" rows={s.revenueByOffice.map((r) => ({ key: r.officeCode, value: Number(r.amount), text: money(r.amount) }))} />}
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
          <SimpleGrid cols={{ base: 1, sm: 2 }} mb="sm">
            <HBars label={t('dash.share')} rows={mon.data.channels.map((c) => ({ key: label('channel', c.channel), value: c.declarations, text: `${c.declarations} · ${pct(c.share)}`, colour: channelColour[c.channel] ?? '#868e96' }))} />
            <HBars label={t('dash.hitRate')} rows={mon.data.channels.map((c) => ({ key: label('channel', c.channel), value: c.hitRate ?? 0, text: `${t('dash.hitRate')} ${pct(c.hitRate)}`, colour: channelColour[c.channel] ?? '#868e96' }))} />
          </SimpleGrid>
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
