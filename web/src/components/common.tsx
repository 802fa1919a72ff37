import { Alert, Badge, Button, Group, List, Loader, Paper, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { ApiError } from '../api.ts';
import { useI18n, useLabel } from '../i18n.tsx';

/** The server's answer to a failed request, with each field error listed. */
export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  const { t } = useI18n();
  if (!error) {
    return null;
  }
  const problem = error instanceof ApiError ? error.problem : undefined;
  return (
    <Alert color="red" title={title ?? problem?.title ?? t('common.error')} role="alert">
      <Text size="sm">{problem ? problem.detail : error instanceof Error ? error.message : t('common.error')}</Text>
      {problem?.errors && problem.errors.length > 1 && (
        <List size="sm" mt="xs">
          {problem.errors.map((e) => (
            <List.Item key={e.pointer + e.code}>
              <code>{e.pointer}</code>: {e.message}
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}

const channelColours: Record<string, string> = { green: 'green', yellow: 'yellow', red: 'red', blue: 'blue' };

export function ChannelBadge({ channel }: { channel: string | null | undefined }) {
  const label = useLabel();
  if (!channel) {
    return <Text span>—</Text>;
  }
  return (
    <Badge color={channelColours[channel] ?? 'gray'} variant="filled" data-channel={channel}>
      {label('channel', channel)}
    </Badge>
  );
}

const statusColours: Record<string, string> = {
  draft: 'gray',
  lodged: 'blue',
  assessed: 'cyan',
  registered: 'indigo',
  paid: 'teal',
  released: 'green',
  exited: 'green',
  cancelled: 'gray',
  rejected: 'red',
  queried: 'orange',
};

export function StatusBadge({ status }: { status: string | null | undefined }) {
  const label = useLabel();
  return (
    <Badge color={statusColours[status ?? ''] ?? 'gray'} variant="light" data-status={status ?? ''}>
      {label('status', status)}
    </Badge>
  );
}

export function Loading() {
  const { t } = useI18n();
  return <Loader size="sm" aria-label={t('common.loading')} />;
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section aria-label={title} style={{ marginBottom: 24 }}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 8, flexWrap: 'wrap' }}>
        <Text component="h2" fw={700} size="lg" my="xs">
          {title}
        </Text>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** A boxed form that creates something: its title, its fields, the submit button and the server's answer. */
export function FormCard({ title, submit, pending, error, onSubmit, children }: { title: string; submit: string; pending: boolean; error: unknown; onSubmit: () => void; children: ReactNode }) {
  return (
    <Paper withBorder p="sm">
      <Text fw={600} mb="xs">
        {title}
      </Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit();
        }}
      >
        {children}
        <Group mt="sm">
          <Button type="submit" loading={pending}>
            {submit}
          </Button>
        </Group>
        <ProblemAlert error={error} />
      </form>
    </Paper>
  );
}
