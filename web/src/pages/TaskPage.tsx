// A verification task as the officer works it: the declaration's goods, why it was selected, the
// history, and the finding with corrections; supervisors reassign and decide escalations.
import { Button, Group, Paper, Radio, Select, SimpleGrid, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError } from '../api.ts';
import { hasRole, useAuth } from '../auth.tsx';
import { ControlPanel } from '../components/ControlPanel.tsx';
import { ItemsTable } from '../components/ItemsTable.tsx';
import { ChannelBadge, Loading, ProblemAlert, Section, StatusBadge } from '../components/common.tsx';
import { money, when } from '../format.ts';
import { useI18n, useLabel } from '../i18n.tsx';
import { Link } from '../router.tsx';
import type { Declaration, Task, Timeline } from '../types.ts';
import { Reasons } from './DeclarationPage.tsx';

interface Correction {
  itemNo: string;
  field: string;
  value: string;
}

export function TaskPage({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const label = useLabel();
  const { user } = useAuth();
  const client = useQueryClient();
  const task = useQuery({ queryKey: ['task', id], queryFn: () => api.get<Task>(`/inspection/tasks/${id}`) });
  const declId = task.data?.declaration.id;
  const declaration = useQuery({ queryKey: ['declaration', declId], queryFn: () => api.get<Declaration>(`/declarations/${declId}`), enabled: !!declId, refetchInterval: 5000 });
  const reference = declaration.data?.reference;
  const timeline = useQuery({ queryKey: ['timeline', reference], queryFn: () => api.get<Timeline>(`/timeline?declaration=${encodeURIComponent(reference!)}`), enabled: !!reference });
  const [result, setResult] = useState('no_discrepancy');
  const [remarks, setRemarks] = useState('');
  const [corrections, setCorrections] = useState<Correction[]>([]);
  const [supReason, setSupReason] = useState('');
  const refresh = () => Promise.all([client.invalidateQueries({ queryKey: ['task', id] }), client.invalidateQueries({ queryKey: ['declaration', declId] }), client.invalidateQueries({ queryKey: ['timeline'] }), client.invalidateQueries({ queryKey: ['tasks'] })]);
  const finding = useMutation({
    mutationFn: () =>
      api.post<Task>(`/inspection/tasks/${id}/findings`, {
        result,
        ...(result === 'discrepancy' ? { corrections: corrections.map((c) => ({ itemNo: Number(c.itemNo), [c.field]: c.value.trim() })) } : {}),
        ...(remarks.trim() ? { remarks: remarks.trim() } : {}),
      }),
    onSuccess: refresh,
  });
  const [toOfficer, setToOfficer] = useState<string | null>(null);
  const office = task.data?.officeCode;
  // The supervisor reassigns to an officer on duty at the task's office, or lets the system draw one.
  const onDuty = useQuery({
    queryKey: ['duty', office],
    queryFn: () => api.get<{ officers: { officer: { id: string; name: string }; tasksAwaitingFindings: number }[] }>(`/inspection/duty?officeCode=${encodeURIComponent(office!)}`),
    enabled: !!office && hasRole(user, 'supervisor'),
  });
  const reassign = useMutation({ mutationFn: () => api.post<Task>(`/inspection/tasks/${id}/reassign`, { reason: supReason.trim(), ...(toOfficer ? { officerId: toOfficer } : {}) }), onSuccess: refresh });
  const decide = useMutation({ mutationFn: (uphold: boolean) => api.post<Task>(`/inspection/tasks/${id}/decision`, { uphold, reason: supReason.trim() }), onSuccess: refresh });
  const fields = finding.error instanceof ApiError ? finding.error.fields : {};

  if (task.isLoading) {
    return <Loading />;
  }
  const tk = task.data;
  if (!tk) {
    return <ProblemAlert error={task.error} />;
  }
  const d = declaration.data;
  const canFind = tk.status === 'assigned' && (tk.allowedActions?.includes('clear') ?? true);
  const supervisor = hasRole(user, 'supervisor');
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <div>
          <Title order={2}>
            {t('work.task')} {tk.number}
          </Title>
          <Text size="sm">
            <Link to={`/portal/declarations/${tk.declaration.id}`}>{tk.declaration.reference}</Link> · {t('decl.bl')} {tk.declaration.transportDocumentNumber ?? '—'} · {tk.officeCode} · {label('status', tk.kind)}
          </Text>
        </div>
        <Group>
          <ChannelBadge channel={tk.channel} />
          <StatusBadge status={tk.status} />
        </Group>
      </Group>
      <Text size="sm">
        {t('work.officer')}: {tk.assignedOfficer?.name ?? '—'}
      </Text>
      <Section title={t('work.riskReasons')}>
        <Reasons reasons={tk.riskReasons} />
      </Section>
      {d && (
        <Section title={t('decl.items')}>
          <ItemsTable declaration={d} />
          <Text size="sm" mt="xs">
            {t('decl.totalDue')}: KES {money(d.assessment?.total)}
          </Text>
        </Section>
      )}
      {tk.findings && (
        <Section title={t('work.findings')}>
          <Paper withBorder p="sm" data-testid="findings">
            <Text fw={600}>{label('status', tk.findings.result)}</Text>
            {tk.findings.remarks && <Text size="sm">{tk.findings.remarks}</Text>}
            {tk.difference && (
              <Text size="sm">
                {t('work.difference')}: KES {money(tk.difference)}
              </Text>
            )}
          </Paper>
        </Section>
      )}
      {canFind && (
        <Section title={t('work.recordFinding')}>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              finding.mutate();
            }}
          >
            <Stack gap="sm">
              <Radio.Group label={t('work.result')} value={result} onChange={setResult}>
                <Group mt={4}>
                  <Radio value="no_discrepancy" label={t('status.no_discrepancy')} />
                  <Radio value="discrepancy" label={t('status.discrepancy')} />
                </Group>
              </Radio.Group>
              {result === 'discrepancy' && (
                <Stack gap="xs">
                  {corrections.map((c, i) => (
                    <SimpleGrid key={i} cols={{ base: 1, xs: 4 }}>
                      <Select
                        label={t('decl.item')}
                        value={c.itemNo}
                        onChange={(v) => setCorrections((cs) => cs.map((x, j) => (j === i ? { ...x, itemNo: v ?? '1' } : x)))}
                        data={(d?.items ?? []).map((it) => ({ value: String(it.itemNo), label: `${it.itemNo}. ${it.hsCode}` }))}
                        allowDeselect={false}
                        error={fields[`/corrections/${i}/itemNo`]}
                      />
                      <Select
                        label={t('work.field')}
                        value={c.field}
                        onChange={(v) => setCorrections((cs) => cs.map((x, j) => (j === i ? { ...x, field: v ?? 'itemPrice' } : x)))}
                        data={[
                          { value: 'itemPrice', label: t('decl.itemPrice') },
                          { value: 'hsCode', label: t('calc.hsCode') },
                          { value: 'quantity', label: t('calc.quantity') },
                          { value: 'originCountry', label: t('calc.origin') },
                        ]}
                        allowDeselect={false}
                      />
                      <TextInput label={t('work.correctValue')} value={c.value} onChange={(e) => { const v = e.currentTarget.value; setCorrections((cs) => cs.map((x, j) => (j === i ? { ...x, value: v } : x))); }} error={fields[`/corrections/${i}/${c.field}`]} />
                      <Button variant="subtle" color="red" mt={24} onClick={() => setCorrections((cs) => cs.filter((_, j) => j !== i))}>
                        {t('common.remove')}
                      </Button>
                    </SimpleGrid>
                  ))}
                  <Group>
                    <Button variant="light" size="xs" onClick={() => setCorrections((cs) => [...cs, { itemNo: '1', field: 'itemPrice', value: '' }])}>
                      {t('work.addCorrection')}
                    </Button>
                  </Group>
                </Stack>
              )}
              <Textarea label={t('work.remarks')} value={remarks} onChange={(e) => setRemarks(e.currentTarget.value)} error={fields['/remarks']} autosize minRows={2} />
              <Group>
                <Button type="submit" loading={finding.isPending}>
                  {t('work.saveFinding')}
                </Button>
              </Group>
              <ProblemAlert error={finding.error} />
            </Stack>
          </form>
        </Section>
      )}
      {d && (
        <Section title={t('control.title')}>
          <ControlPanel declaration={d} task={tk} arrivedAt={timeline.data?.transportDocument?.actualArrival} onDone={refresh} onTaskPage />
        </Section>
      )}
      {supervisor && tk.status !== 'closed' && (
        <Section title={t('work.supervision')}>
          <Stack gap="xs">
            <Textarea label={t('common.reason')} value={supReason} onChange={(e) => setSupReason(e.currentTarget.value)} autosize minRows={2} />
            <Select
              label={t('work.reassignTo')}
              placeholder={t('work.anyOnDuty')}
              value={toOfficer}
              onChange={setToOfficer}
              clearable
              data={(onDuty.data?.officers ?? []).filter((o) => o.officer.id !== tk.assignedOfficer?.id).map((o) => ({ value: o.officer.id, label: `${o.officer.name} (${o.tasksAwaitingFindings})` }))}
              maw={360}
            />
            <Group>
              <Button variant="light" onClick={() => reassign.mutate()} loading={reassign.isPending}>
                {t('work.reassign')}
              </Button>
              {tk.status === 'escalated' && (
                <>
                  <Button onClick={() => decide.mutate(true)} loading={decide.isPending}>
                    {t('work.uphold')}
                  </Button>
                  <Button variant="outline" onClick={() => decide.mutate(false)} loading={decide.isPending}>
                    {t('work.overturn')}
                  </Button>
                </>
              )}
            </Group>
            <ProblemAlert error={reassign.error ?? decide.error} />
          </Stack>
        </Section>
      )}
      {tk.history && tk.history.length > 0 && (
        <Section title={t('work.history')}>
          <Stack gap={2}>
            {tk.history.map((h, i) => (
              <Text key={i} size="sm">
                {when(h.at, lang)} · {label('action', h.action)}
                {h.by ? ` · ${h.by.name} (${label('role', h.by.role)})` : ''}
                {h.reason ? ` · ${h.reason}` : ''}
              </Text>
            ))}
          </Stack>
        </Section>
      )}
    </Stack>
  );
}
