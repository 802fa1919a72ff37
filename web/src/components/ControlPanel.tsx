// The officer's control and the release of a declaration, as the API allows them: the control
// result is recorded on the declaration (POST /declarations/:id/control) unless a verification
// task holds it (then the task's findings are the control); the release is issued by the system as
// soon as the declaration is paid, its control passed (or none needed) and its conveyance arrived,
// so it is shown as that checklist. Every button that cannot be used says why.
import { Button, Group, List, Paper, Stack, Text, Textarea, ThemeIcon } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, ApiError } from '../api.ts';
import { hasRole, useAuth } from '../auth.tsx';
import { when } from '../format.ts';
import { useI18n, useLabel } from '../i18n.tsx';
import { Link } from '../router.tsx';
import type { Declaration, Task } from '../types.ts';
import { ProblemAlert } from './common.tsx';

const controllable = ['assessed', 'registered', 'paid'];

export function ControlPanel({
  declaration: d,
  task,
  arrivedAt,
  onDone,
  onTaskPage = false,
}: {
  declaration: Declaration;
  task?: Task | undefined;
  arrivedAt: string | null | undefined;
  onDone: () => Promise<unknown>;
  /** On the task's own page: no link to it. */
  onTaskPage?: boolean;
}) {
  const { t, lang } = useI18n();
  const label = useLabel();
  const { user } = useAuth();
  const reasonId = useId();
  const [findings, setFindings] = useState('');
  const control = useMutation({
    mutationFn: (result: 'passed' | 'failed') => api.post<Declaration>(`/declarations/${d.id}/control`, { result, findings: findings.trim() }),
    onSuccess: async () => {
      setFindings('');
      await onDone();
    },
  });
  const fields = control.error instanceof ApiError ? control.error.fields : {};
  const controlStatus = d.control?.status ?? 'none';
  const openTask = task && task.status !== 'closed' && task.status !== 'withdrawn' ? task : undefined;

  // Why the control cannot be recorded here, or undefined when it can.
  const blocked = !hasRole(user, 'officer', 'supervisor')
    ? t('control.onlyOfficers')
    : controlStatus === 'none'
      ? t('control.notNeeded')
      : controlStatus !== 'pending'
        ? t('control.already', { status: label('status', controlStatus) })
        : openTask
          ? t('control.onTask', { task: openTask.number })
          : !controllable.includes(d.status)
            ? t('control.wrongState', { status: label('status', d.status) })
            : undefined;

  const paid = d.paidAt !== null || d.status === 'released' || d.status === 'exited';
  const controlOk = controlStatus === 'none' || controlStatus === 'passed';
  const released = d.status === 'released' || d.status === 'exited';
  const checks: { ok: boolean; text: string }[] = [
    { ok: paid, text: paid ? t('release.paid', { at: when(d.paidAt, lang) }) : t('release.notPaid') },
    { ok: controlOk, text: t('release.control', { status: label('status', controlStatus) }) },
    { ok: !!arrivedAt, text: arrivedAt ? t('release.arrived', { at: when(arrivedAt, lang) }) : t('release.notArrived') },
  ];

  return (
    <Stack gap="sm" data-testid="control-panel">
      <Paper withBorder p="sm">
        <Text fw={600}>{t('release.title')}</Text>
        {released ? (
          <Text data-testid="released">
            {t('release.done', { order: d.releaseOrderNumber ?? '—', at: when(d.releasedAt, lang) })}
          </Text>
        ) : (
          <>
            <List spacing={2} size="sm" mt={4} center>
              {checks.map((c) => (
                <List.Item
                  key={c.text}
                  icon={
                    <ThemeIcon size={18} radius="xl" color={c.ok ? 'green' : 'gray'} aria-hidden>
                      {c.ok ? '✓' : '·'}
                    </ThemeIcon>
                  }
                >
                  <span data-ok={c.ok}>{c.text}</span>
                </List.Item>
              ))}
            </List>
            <Text size="xs" c="dimmed" mt={4}>
              {t('release.hint')}
            </Text>
          </>
        )}
      </Paper>
      {!released && d.status !== 'cancelled' && d.status !== 'rejected' && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
          }}
        >
          <Stack gap="xs">
            {!blocked && (
              <Textarea label={t('control.findings')} value={findings} onChange={(e) => setFindings(e.currentTarget.value)} error={fields['/findings']} autosize minRows={2} maxLength={4000} required />
            )}
            <Group>
              <Button disabled={!!blocked} aria-describedby={blocked ? reasonId : undefined} loading={control.isPending && control.variables === 'passed'} onClick={() => control.mutate('passed')}>
                {t('control.pass')}
              </Button>
              <Button variant="outline" color="red" disabled={!!blocked} aria-describedby={blocked ? reasonId : undefined} loading={control.isPending && control.variables === 'failed'} onClick={() => control.mutate('failed')}>
                {t('control.fail')}
              </Button>
            </Group>
            {blocked && (
              <Text size="sm" id={reasonId} data-testid="control-blocked">
                {blocked} {openTask && !onTaskPage && <Link to={`/workbench/tasks/${openTask.id}`}>{t('work.openTask')}</Link>}
              </Text>
            )}
            <ProblemAlert error={control.error} />
          </Stack>
        </form>
      )}
    </Stack>
  );
}
