// Public consignment status: by B/L or declaration reference, the status and the dates only.
import { Button, Group, Paper, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, qs } from '../api.ts';
import { ProblemAlert, StatusBadge } from '../components/common.tsx';
import { when } from '../format.ts';
import { useI18n, useLabel } from '../i18n.tsx';

interface PublicStatus {
  transportDocument: { number: string | null; expectedArrival: string | null; actualArrival: string | null } | null;
  declarations: { reference: string; status: string }[];
  steps: { at: string; step: string; declaration: string | null }[];
}

export function Status() {
  const { t, lang } = useI18n();
  const label = useLabel();
  const [by, setBy] = useState('bl');
  const [value, setValue] = useState('');
  const look = useMutation({ mutationFn: () => api.get<PublicStatus>(`/status${qs({ [by]: value.trim().toUpperCase() })}`) });
  const r = look.data;
  return (
    <Stack maw={800}>
      <Title order={2}>{t('status.title')}</Title>
      <Text>{t('status.intro')}</Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          look.mutate();
        }}
      >
        <Stack gap="sm">
          <SegmentedControl
            aria-label={t('status.by')}
            value={by}
            onChange={setBy}
            data={[
              { value: 'bl', label: t('decl.bl') },
              { value: 'declaration', label: t('decl.reference') },
            ]}
          />
          <Group align="flex-end">
            <TextInput style={{ flex: 1, minWidth: 200 }} label={by === 'bl' ? t('decl.bl') : t('decl.reference')} value={value} onChange={(e) => setValue(e.currentTarget.value)} required />
            <Button type="submit" loading={look.isPending}>
              {t('status.look')}
            </Button>
          </Group>
        </Stack>
      </form>
      <ProblemAlert error={look.error} />
      {r && (
        <Paper withBorder p="md" data-testid="public-status">
          {r.transportDocument && (
            <Text size="sm" mb="xs">
              {t('decl.bl')} {r.transportDocument.number} · {t('status.expected')} {when(r.transportDocument.expectedArrival, lang)} · {t('status.arrived')} {when(r.transportDocument.actualArrival, lang)}
            </Text>
          )}
          {r.declarations.map((d) => (
            <Group key={d.reference} gap="xs">
              <Text fw={600}>{d.reference}</Text>
              <StatusBadge status={d.status} />
            </Group>
          ))}
          <Table mt="sm">
            <Table.Tbody>
              {r.steps.map((s, i) => (
                <Table.Tr key={i}>
                  <Table.Td>{when(s.at, lang)}</Table.Td>
                  <Table.Td>{label('action', s.step)}</Table.Td>
                  <Table.Td>{s.declaration ?? ''}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
    </Stack>
  );
}
