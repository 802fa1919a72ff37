// Transit: the agent's movements with their status; a movement with its seals, steps and (for
// customs) the seals' alerts and last position; the officers' queue of seal alerts, each
// acknowledged with what was done. What each audience sees is the API's whitelist (transit.views.ts).
import { Alert, Badge, Button, Group, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, qs } from '../api.ts';
import { hasRole, useAuth } from '../auth.tsx';
import { Loading, ProblemAlert, Section } from '../components/common.tsx';
import { money, when } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { en, type MessageKey } from '../i18n/en.ts';
import { Link } from '../router.tsx';

interface AlertRow {
  id: string;
  movement: string;
  kind: string;
  message: string;
  raisedAt: string;
  status: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  note: string | null;
}

interface Movement {
  id: string;
  reference: string;
  kind: string;
  status: string;
  agent: { name: string | null };
  guaranteeReference: string;
  transportDocument: { number: string; manifestReference: string };
  packages: number;
  grossMassKg: string;
  itinerary: { officeOfDeparture: string; officeOfExit: string | null; officeOfDestination: string | null; destinationCountry: string };
  seals: string[];
  stake: string | null;
  estimatedStake?: string;
  deadline: string | null;
  late: boolean;
  lodgedAt: string;
  departedAt: string | null;
  concludedAt: string | null;
  alerts?: AlertRow[];
  lastPosition?: { at: string; kind: string; sealId: string; latitude: string | null; longitude: string | null } | null;
}

interface Step {
  at: string;
  action: string;
  actor: { name: string; role: string };
  reason: string | null;
}

const statusColour: Record<string, string> = { lodged: 'blue', departed: 'indigo', arrived: 'teal', exited: 'teal', discharged: 'green', cancelled: 'gray', overdue: 'red', called: 'red' };

/** A transit status in the reader's language (the codes are the API's). */
function useTransitLabel() {
  const { t } = useI18n();
  return (code: string) => {
    const key = `transit.status.${code}` as MessageKey;
    return key in en ? t(key) : code;
  };
}
function MovementStatus({ status }: { status: string }) {
  const label = useTransitLabel();
  return (
    <Badge color={statusColour[status] ?? 'gray'} variant="light" data-transit-status={status}>
      {label(status)}
    </Badge>
  );
}

export function Movements() {
  const { t, lang } = useI18n();
  const [status, setStatus] = useState('all');
  const list = useQuery({ queryKey: ['movements', status], queryFn: () => api.get<{ movements: Movement[] }>(`/transit/movements${qs({ status: status === 'all' ? undefined : status, limit: 100 })}`) });
  const label = useTransitLabel();
  return (
    <Stack maw={1100}>
      <Title order={2}>{t('transit.movements')}</Title>
      <SegmentedControl
        aria-label={t('consignments.status')}
        value={status}
        onChange={setStatus}
        data={['all', 'lodged', 'departed', 'overdue', 'discharged'].map((s) => ({ value: s, label: s === 'all' ? t('transit.all') : label(s) }))}
        style={{ alignSelf: 'flex-start', maxWidth: '100%', overflowX: 'auto' }}
      />
      <ProblemAlert error={list.error} />
      {list.isLoading && <Loading />}
      {list.data && list.data.movements.length === 0 && <Text>{t('transit.none')}</Text>}
      {list.data && list.data.movements.length > 0 && (
        <Table.ScrollContainer minWidth={640}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('transit.reference')}</Table.Th>
                <Table.Th>{t('decl.bl')}</Table.Th>
                <Table.Th>{t('transit.route')}</Table.Th>
                <Table.Th>{t('consignments.status')}</Table.Th>
                <Table.Th>{t('transit.deadline')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.movements.map((m) => (
                <Table.Tr key={m.id}>
                  <Table.Td>
                    <Link to={`/transit/movements/${m.id}`}>{m.reference}</Link>
                  </Table.Td>
                  <Table.Td>{m.transportDocument.number}</Table.Td>
                  <Table.Td>
                    {m.itinerary.officeOfDeparture} → {m.itinerary.officeOfExit ?? m.itinerary.officeOfDestination ?? m.itinerary.destinationCountry}
                  </Table.Td>
                  <Table.Td>
                    <MovementStatus status={m.status} /> {m.late && <Badge color="red">{t('transit.late')}</Badge>}
                  </Table.Td>
                  <Table.Td>{when(m.deadline, lang)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

export function MovementPage({ id }: { id: string }) {
  const { t, lang } = useI18n();
  // A step in the reader's language where the dictionary has it (the B/L's steps), else its code in words.
  const stepLabel = (action: string) => {
    const key = `action.${action}` as MessageKey;
    return key in en ? t(key) : action.replace(/^transit\./, '').replaceAll('_', ' ');
  };
  const movement = useQuery({ queryKey: ['movement', id], queryFn: () => api.get<Movement>(`/transit/movements/${id}`), refetchInterval: 10_000 });
  const steps = useQuery({ queryKey: ['movement-timeline', id], queryFn: () => api.get<{ events: Step[] }>(`/transit/movements/${id}/timeline`) });
  if (movement.isLoading) {
    return <Loading />;
  }
  const m = movement.data;
  if (!m) {
    return <ProblemAlert error={movement.error} />;
  }
  const facts: [string, string][] = [
    [t('decl.bl'), m.transportDocument.number],
    [t('transit.route'), `${m.itinerary.officeOfDeparture} → ${m.itinerary.officeOfExit ?? m.itinerary.officeOfDestination ?? m.itinerary.destinationCountry}`],
    [t('transit.guarantee'), m.guaranteeReference],
    [t('transit.stake'), m.stake !== null ? `KES ${money(m.stake)}` : m.estimatedStake ? `≈ KES ${money(m.estimatedStake)}` : '—'],
    [t('transit.packages'), `${m.packages} · ${m.grossMassKg} kg`],
    [t('transit.departed'), when(m.departedAt, lang)],
    [t('transit.deadline'), when(m.deadline, lang)],
    [t('transit.concluded'), when(m.concludedAt, lang)],
  ];
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <div>
          <Title order={2}>
            {t('transit.movement')} {m.reference}
          </Title>
          <Text size="sm" c="dimmed">
            {m.kind} · {m.agent.name ?? '—'}
          </Text>
        </div>
        <Group>
          <MovementStatus status={m.status} />
          {m.late && <Badge color="red">{t('transit.late')}</Badge>}
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
        {facts.map(([k, v]) => (
          <Paper key={k} withBorder p="xs">
            <Text size="xs" c="dimmed">
              {k}
            </Text>
            <Text fw={600}>{v}</Text>
          </Paper>
        ))}
      </SimpleGrid>
      <Section title={t('transit.seals')}>
        <Group gap="xs">
          {m.seals.length === 0 ? <Text size="sm">—</Text> : m.seals.map((s) => <Badge key={s} variant="outline">{s}</Badge>)}
        </Group>
        {m.lastPosition && (
          <Text size="sm" mt="xs">
            {t('transit.lastPosition')}: {m.lastPosition.sealId} · {m.lastPosition.kind} · {when(m.lastPosition.at, lang)}
            {m.lastPosition.latitude !== null && m.lastPosition.longitude !== null ? ` · ${m.lastPosition.latitude}, ${m.lastPosition.longitude}` : ''}
          </Text>
        )}
      </Section>
      {m.alerts !== undefined && (
        <Section title={t('transit.alerts')}>
          {m.alerts.length === 0 ? <Text size="sm">{t('transit.noAlerts')}</Text> : <AlertList alerts={m.alerts} />}
        </Section>
      )}
      <Section title={t('transit.steps')}>
        {steps.isLoading && <Loading />}
        <ProblemAlert error={steps.error} />
        <Stack gap={2} data-testid="transit-steps">
          {(steps.data?.events ?? []).map((e, i) => (
            <Text key={i} size="sm" data-action={e.action}>
              {when(e.at, lang)} · {stepLabel(e.action)} · {e.actor.name}
              {e.reason ? ` · ${e.reason}` : ''}
            </Text>
          ))}
        </Stack>
      </Section>
    </Stack>
  );
}

/** Alerts with, for officers, the acknowledgement: what was done about each. */
function AlertList({ alerts, links }: { alerts: AlertRow[]; links?: Map<string, string> }) {
  const { t, lang } = useI18n();
  const { user } = useAuth();
  const officer = hasRole(user, 'officer', 'supervisor');
  return (
    <Stack gap="xs" data-testid="alerts">
      {alerts.map((a) => (
        <Paper key={a.id} withBorder p="sm" data-alert={a.kind}>
          <Group justify="space-between" wrap="wrap">
            <Group gap="xs">
              <Badge color={a.status === 'open' ? 'red' : 'gray'}>{a.status === 'open' ? t('transit.open') : t('transit.acknowledged')}</Badge>
              <Text fw={600}>{a.kind.replaceAll('_', ' ')}</Text>
              {links?.get(a.movement) ? <Link to={`/transit/movements/${links.get(a.movement)}`}>{a.movement}</Link> : <Text span>{a.movement}</Text>}
            </Group>
            <Text size="sm">{when(a.raisedAt, lang)}</Text>
          </Group>
          <Text size="sm">{a.message}</Text>
          {a.note && (
            <Text size="sm" c="dimmed">
              {a.acknowledgedBy}: {a.note}
            </Text>
          )}
          {a.status === 'open' && officer && <Acknowledge alert={a} />}
        </Paper>
      ))}
    </Stack>
  );
}

function Acknowledge({ alert }: { alert: AlertRow }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const [note, setNote] = useState('');
  const ack = useMutation({
    mutationFn: () => api.post(`/transit/alerts/${encodeURIComponent(alert.id)}/acknowledge`, { note: note.trim() }),
    onSuccess: () => Promise.all([client.invalidateQueries({ queryKey: ['alerts'] }), client.invalidateQueries({ queryKey: ['movement'] })]),
  });
  const fields = ack.error instanceof ApiError ? ack.error.fields : {};
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        ack.mutate();
      }}
    >
      <Group align="flex-end" mt="xs">
        <Textarea label={t('transit.whatDone')} value={note} onChange={(e) => setNote(e.currentTarget.value)} error={fields['/note']} autosize minRows={1} maxLength={500} style={{ flex: 1, minWidth: 220 }} />
        <Button type="submit" variant="light" loading={ack.isPending}>
          {t('transit.acknowledge')}
        </Button>
      </Group>
      {ack.error && !fields['/note'] ? <ProblemAlert error={ack.error} /> : null}
    </form>
  );
}

export function AlertQueue() {
  const { t } = useI18n();
  const [status, setStatus] = useState('open');
  const alerts = useQuery({ queryKey: ['alerts', status], queryFn: () => api.get<{ alerts: AlertRow[] }>(`/transit/alerts${qs({ status, limit: 100 })}`), refetchInterval: 15_000 });
  // Alerts name their movement by reference; the page opens it by id.
  const movements = useQuery({ queryKey: ['movements', 'all'], queryFn: () => api.get<{ movements: Movement[] }>('/transit/movements?limit=200') });
  const links = new Map((movements.data?.movements ?? []).map((m) => [m.reference, m.id]));
  return (
    <Stack maw={1000}>
      <Title order={2}>{t('transit.alertQueue')}</Title>
      <SegmentedControl
        aria-label={t('consignments.status')}
        value={status}
        onChange={setStatus}
        data={[
          { value: 'open', label: t('transit.open') },
          { value: 'acknowledged', label: t('transit.acknowledged') },
        ]}
        style={{ alignSelf: 'flex-start' }}
      />
      <ProblemAlert error={alerts.error} />
      {alerts.isLoading && <Loading />}
      {alerts.data && alerts.data.alerts.length === 0 && <Alert color="green">{t('transit.noAlerts')}</Alert>}
      {alerts.data && alerts.data.alerts.length > 0 && <AlertList alerts={alerts.data.alerts} links={links} />}
    </Stack>
  );
}
