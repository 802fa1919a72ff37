// One declaration: its goods, the assessment line by line, the e-slip with the PRN, the
// consignment's timeline and, when selected for verification, the finding to answer. Customs
// also see why it was selected and record the control. An export shows where it leaves and goes,
// its exit once the office of exit confirms it (officers on duty there confirm it here), and the
// proof of exit.
import { Alert, Badge, Button, Group, Paper, Radio, SimpleGrid, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, hasToken, request } from '../api.ts';
import { hasRole, useAuth } from '../auth.tsx';
import { ControlPanel } from '../components/ControlPanel.tsx';
import { ItemsTable } from '../components/ItemsTable.tsx';
import { ChannelBadge, Loading, ProblemAlert, Section, StatusBadge } from '../components/common.tsx';
import { TimelineView } from '../components/TimelineView.tsx';
import { money, when } from '../format.ts';
import { useI18n, useLabel } from '../i18n.tsx';
import { Link } from '../router.tsx';
import type { Declaration, Task, Timeline } from '../types.ts';

export function DeclarationPage({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const { user } = useAuth();
  const customs = hasRole(user, 'officer', 'supervisor', 'risk_analyst', 'admin');
  const client = useQueryClient();
  const declaration = useQuery({ queryKey: ['declaration', id], queryFn: () => api.get<Declaration>(`/declarations/${id}`), refetchInterval: 5000 });
  const d = declaration.data;
  const timeline = useQuery({
    queryKey: ['timeline', d?.reference],
    queryFn: () => api.get<Timeline>(`/timeline?declaration=${encodeURIComponent(d!.reference)}`),
    enabled: !!d && hasToken(),
    refetchInterval: 5000,
  });
  const verification = useQuery({
    queryKey: ['verification', id],
    queryFn: () => api.get<Task>(`/declarations/${id}/verification`),
    enabled: !!d && !!d.selectivity && d.selectivity.channel !== 'green',
    retry: false,
  });
  const refresh = () => Promise.all([client.invalidateQueries({ queryKey: ['declaration', id] }), client.invalidateQueries({ queryKey: ['timeline'] }), client.invalidateQueries({ queryKey: ['verification', id] })]);
  const register = useMutation({ mutationFn: () => api.post<Declaration>(`/declarations/${id}/register`), onSuccess: refresh });

  if (declaration.isLoading) {
    return <Loading />;
  }
  if (!d) {
    return <ProblemAlert error={declaration.error} />;
  }
  const prn = d.payment?.prn ?? null;
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <div>
          <Title order={2}>
            {d.export ? t('exp.title') : t('decl.title')} {d.reference}
          </Title>
          <Text size="sm" c="dimmed">
            {d.declarant.name} · {d.importer.name ?? d.importer.pin} ·{' '}
            {d.export ? `${t('exp.exitOffice')} ${d.export.exitOfficeCode} → ${d.export.destinationCountry}` : `${t('decl.bl')} ${d.transportDocument?.number ?? '—'}`}
          </Text>
        </div>
        <Group>
          <StatusBadge status={d.status} />
          <ChannelBadge channel={d.selectivity?.channel} />
        </Group>
      </Group>
      {d.statusReason && <Alert color="orange">{d.statusReason}</Alert>}

      {customs && d.selectivity?.reasons !== undefined && (
        <Section title={t('work.riskReasons')}>
          <Reasons reasons={d.selectivity.reasons} />
        </Section>
      )}

      <Section title={t('decl.assessment')}>
        {d.assessment ? (
          <Stack gap="xs" data-testid="assessment">
            <Text size="sm">{t('decl.assessedOn', { date: d.assessment.date, rate: d.assessment.exchangeRate?.rate ?? '—', currency: d.invoice.currency })}</Text>
            <Table.ScrollContainer minWidth={520}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('decl.item')}</Table.Th>
                    <Table.Th>{t('calc.tax')}</Table.Th>
                    <Table.Th className="figure">{t('calc.base')}</Table.Th>
                    <Table.Th className="figure">{t('calc.rate')}</Table.Th>
                    <Table.Th className="figure">{t('calc.amount')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {d.assessment.items.flatMap((item) =>
                    item.taxes.map((tax, k) => (
                      <Table.Tr key={`${item.itemNo}-${tax.code}`}>
                        <Table.Td>{k === 0 ? `${item.itemNo}. ${item.hsCode}` : ''}</Table.Td>
                        <Table.Td>
                          {tax.code} — {tax.name}
                        </Table.Td>
                        <Table.Td className="figure">{money(tax.base)}</Table.Td>
                        <Table.Td className="figure">{tax.rate === null ? '—' : tax.method === 'ad-valorem' ? `${tax.rate}%` : tax.rate}</Table.Td>
                        <Table.Td className="figure">{money(tax.amount)}</Table.Td>
                      </Table.Tr>
                    )),
                  )}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Group gap="lg">
              {Object.entries(d.assessment.totals).map(([code, v]) => (
                <Text key={code} size="sm">
                  {code}: <b>{money(v)}</b>
                </Text>
              ))}
            </Group>
            <Title order={3} size="h4">
              {t('decl.totalDue')}: KES <span data-testid="assessment-total">{money(d.assessment.total)}</span>
            </Title>
          </Stack>
        ) : (
          <Text>{t('decl.notAssessed')}</Text>
        )}
      </Section>

      <Section title={t('decl.payment')}>
        {prn ? (
          <Paper withBorder p="sm" data-testid="eslip">
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <div>
                <Text size="xs" c="dimmed">
                  {t('decl.prn')}
                </Text>
                <Text fw={700} data-testid="prn">
                  {prn}
                </Text>
              </div>
              <div>
                <Text size="xs" c="dimmed">
                  {t('decl.amountDue')}
                </Text>
                <Text fw={700}>KES {money(d.payment?.amountDue)}</Text>
              </div>
              <div>
                <Text size="xs" c="dimmed">
                  {t('decl.paidAt')}
                </Text>
                <Text>{when(d.paidAt, lang)}</Text>
              </div>
            </SimpleGrid>
            <Button mt="sm" variant="light" onClick={() => void openHtml(`/payment-references/${encodeURIComponent(prn)}/eslip`)}>
              {t('decl.openEslip')}
            </Button>
          </Paper>
        ) : d.allowedActions.includes('register') && !customs ? (
          <Stack gap="xs">
            <Text size="sm">{t('decl.registerHint')}</Text>
            <Group>
              <Button onClick={() => register.mutate()} loading={register.isPending}>
                {t('decl.register')}
              </Button>
            </Group>
            <ProblemAlert error={register.error} />
          </Stack>
        ) : (
          <Text size="sm">—</Text>
        )}
      </Section>

      {(verification.data || customs) && d.selectivity && d.selectivity.channel !== 'green' && (
        <Section title={t('decl.verification')}>
          {verification.data ? <VerificationPanel task={verification.data} customs={customs} onDone={refresh} /> : <ProblemAlert error={verification.error} />}
        </Section>
      )}

      {d.export && (
        <Section title={t('exp.details')}>
          <ExportPanel declaration={d} customs={customs} onDone={refresh} />
        </Section>
      )}

      {customs && (
        <Section title={t('control.title')}>
          <ControlPanel declaration={d} task={verification.data} arrivedAt={timeline.data?.transportDocument?.actualArrival} onDone={refresh} />
        </Section>
      )}

      <Section title={t('decl.items')}>
        <ItemsTable declaration={d} />
      </Section>

      <Section title={t('decl.timeline')}>{timeline.data ? <TimelineView timeline={timeline.data} /> : timeline.error ? <ProblemAlert error={timeline.error} /> : <Loading />}</Section>
    </Stack>
  );
}

/** The e-slip and the proof of exit are HTML pages behind the login: fetched with the session and opened for printing. */
async function openHtml(path: string) {
  const win = window.open('', '_blank');
  try {
    const html = await request<string>('GET', path);
    const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    if (win) {
      win.location.href = url;
    }
  } catch {
    win?.close();
  }
}

export function Reasons({ reasons }: { reasons: unknown }) {
  const list = Array.isArray(reasons) ? reasons : reasons ? [reasons] : [];
  if (list.length === 0) {
    return <Text size="sm">—</Text>;
  }
  return (
    <Stack gap={4} data-testid="risk-reasons">
      {list.map((r, i) => {
        const o = (typeof r === 'object' && r !== null ? r : { reason: String(r) }) as Record<string, unknown>;
        const text = typeof o.reason === 'string' ? o.reason : typeof o.message === 'string' ? o.message : JSON.stringify(o);
        return (
          <Group key={i} gap="xs" wrap="nowrap" align="flex-start">
            {typeof o.channel === 'string' && <ChannelBadge channel={o.channel} />}
            {typeof o.kind === 'string' && <Badge variant="outline">{o.kind}</Badge>}
            <Text size="sm">{text}</Text>
          </Group>
        );
      })}
    </Stack>
  );
}

/** The declarant's view of the verification task: findings, difference, and the answer. */
function VerificationPanel({ task, customs, onDone }: { task: Task; customs: boolean; onDone: () => Promise<unknown> }) {
  const { t } = useI18n();
  const label = useLabel();
  const [response, setResponse] = useState('accept');
  const [reason, setReason] = useState('');
  const answer = useMutation({
    mutationFn: () => api.post<Task>(`/declarations/${task.declaration.id}/verification-response`, { response, ...(reason.trim() ? { reason: reason.trim() } : {}) }),
    onSuccess: onDone,
  });
  const fields = answer.error instanceof ApiError ? answer.error.fields : {};
  return (
    <Stack gap="xs">
      <Group>
        <Text size="sm">
          {t('work.task')} {task.number}
        </Text>
        <Badge variant="light">{label('status', task.status)}</Badge>
        {customs && (
          <Link to={`/workbench/tasks/${task.id}`}>
            {t('work.openTask')}
          </Link>
        )}
      </Group>
      {task.findings && (
        <Paper withBorder p="sm">
          <Text fw={600}>{label('status', task.findings.result)}</Text>
          {task.findings.remarks && <Text size="sm">{task.findings.remarks}</Text>}
          {task.amendment?.changes?.map((c, i) => (
            <Text key={i} size="sm">
              {t('decl.item')} {c.itemNo}: {c.field} {c.before} → {c.after}
            </Text>
          ))}
          {task.difference && (
            <Text size="sm" fw={600}>
              {t('work.difference')}: KES {money(task.difference)}
            </Text>
          )}
        </Paper>
      )}
      {!customs && task.status === 'awaiting_declarant' && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            answer.mutate();
          }}
        >
          <Stack gap="xs">
            <Radio.Group label={t('decl.yourAnswer')} value={response} onChange={setResponse} error={fields['/response']}>
              <Group mt={4}>
                <Radio value="accept" label={t('decl.accept')} />
                <Radio value="reject" label={t('decl.reject')} />
                <Radio value="pay_under_protest" label={t('decl.payUnderProtest')} />
              </Group>
            </Radio.Group>
            <Textarea label={t('common.reason')} value={reason} onChange={(e) => setReason(e.currentTarget.value)} error={fields['/reason']} autosize minRows={2} />
            <Group>
              <Button type="submit" loading={answer.isPending}>
                {t('decl.sendAnswer')}
              </Button>
            </Group>
            <ProblemAlert error={answer.error} />
          </Stack>
        </form>
      )}
    </Stack>
  );
}

/** An export's offices, destination and exit: the proof of exit once exited; customs on duty at the office of exit confirm it. */
function ExportPanel({ declaration: d, customs, onDone }: { declaration: Declaration; customs: boolean; onDone: () => Promise<unknown> }) {
  const { t, lang } = useI18n();
  const { user } = useAuth();
  const x = d.export!;
  const [reference, setReference] = useState('');
  const [remarks, setRemarks] = useState('');
  const exit = useMutation({
    mutationFn: () => api.post<{ status: string }>(`/declarations/${d.id}/exit`, { reference: reference.trim(), ...(remarks.trim() ? { remarks: remarks.trim() } : {}) }),
    onSuccess: onDone,
  });
  const fields = exit.error instanceof ApiError ? exit.error.fields : {};
  // The server decides who may (on duty at the office of exit); the form is offered to officers and supervisors.
  const mayConfirm = customs && hasRole(user, 'officer', 'supervisor') && d.status === 'released';
  return (
    <Stack gap="xs" data-testid="export">
      <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
        <div>
          <Text size="xs" c="dimmed">
            {t('exp.exporterPin')}
          </Text>
          <Text>{x.exporterPin}</Text>
        </div>
        <div>
          <Text size="xs" c="dimmed">
            {t('exp.exitOffice')}
          </Text>
          <Text>{x.exitOfficeCode}</Text>
        </div>
        <div>
          <Text size="xs" c="dimmed">
            {t('exp.destination')}
          </Text>
          <Text>{x.destinationCountry}</Text>
        </div>
        <div>
          <Text size="xs" c="dimmed">
            {t('exp.goodsLocation')}
          </Text>
          <Text>{x.goodsLocation}</Text>
        </div>
      </SimpleGrid>
      {x.exit ? (
        <Paper withBorder p="sm" data-testid="exit">
          <Text size="sm">
            {t('exp.exitedAt')}: <b>{when(x.exit.at ?? d.exitedAt, lang)}</b>
          </Text>
          <Text size="sm">
            {t('exp.exitReference')}: {[x.exit.organisation ?? x.exit.by, x.exit.office, x.exit.reference].filter(Boolean).join(' · ')}
          </Text>
          {x.proofOfExit && (
            <Button mt="sm" variant="light" onClick={() => void openHtml(`/declarations/${encodeURIComponent(d.id)}/proof-of-exit`)}>
              {t('exp.openProof')}
            </Button>
          )}
        </Paper>
      ) : (
        <Text size="sm">{t('exp.notExited')}</Text>
      )}
      {mayConfirm && (
        <form
          aria-label={t('exp.confirmExit')}
          onSubmit={(e) => {
            e.preventDefault();
            exit.mutate();
          }}
        >
          <Stack gap="xs">
            <Text size="sm">{t('exp.confirmExitHint')}</Text>
            <TextInput label={t('exp.exitRef')} value={reference} maxLength={70} onChange={(e) => setReference(e.currentTarget.value)} error={fields['/reference']} required />
            <Textarea label={t('exp.remarks')} value={remarks} maxLength={1000} onChange={(e) => setRemarks(e.currentTarget.value)} error={fields['/remarks']} autosize minRows={2} />
            <Group>
              <Button type="submit" loading={exit.isPending}>
                {t('exp.confirmExit')}
              </Button>
            </Group>
            <ProblemAlert error={exit.error} />
          </Stack>
        </form>
      )}
    </Stack>
  );
}
