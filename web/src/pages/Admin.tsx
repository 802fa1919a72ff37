// Administration (administrators only; the API refuses everyone else too): reference-data uploads
// with their progress and the line-by-line report of a refused file; organisations, users and API
// keys: list, create, deactivate or revoke. A new API key is shown once, here, and never again.
import { Alert, Badge, Button, Code, CopyButton, FileInput, Group, MultiSelect, PasswordInput, Progress, Select, SimpleGrid, Stack, Switch, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, ApiError, postWithProgress } from '../api.ts';
import { FormCard, Loading, ProblemAlert, Section } from '../components/common.tsx';
import { when } from '../format.ts';
import { useI18n, useLabel } from '../i18n.tsx';

interface Org {
  id: string;
  code: string;
  name: string;
  kind: string;
}
interface UserRow {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  active?: boolean;
}
interface Key {
  id: string;
  name: string;
  keyPrefix: string;
  roles: string[];
  status: string;
  expiresAt: string;
}

const allRoles = ['carrier', 'agent', 'trader', 'bank', 'officer', 'supervisor', 'risk_analyst', 'admin', 'terminal', 'tracker'];
const orgKinds = ['trader', 'clearing_agent', 'carrier', 'bank', 'terminal', 'customs', 'tracker'];

function Rows<T>({ rows, head, render, label, minWidth = 560 }: { rows: T[]; head: string[]; render: (row: T) => ReactNode[]; label: string; minWidth?: number }) {
  return (
    <Table.ScrollContainer minWidth={minWidth}>
      <Table striped aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            {head.map((h, i) => (
              <Table.Th key={i}>{h}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r, i) => (
            <Table.Tr key={i}>
              {render(r).map((c, j) => (
                <Table.Td key={j}>{c}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function Admin() {
  const { t } = useI18n();
  return (
    <Stack maw={1100}>
      <Title order={2}>{t('nav.admin')}</Title>
      <Tabs defaultValue="uploads" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="uploads">{t('admin.uploads')}</Tabs.Tab>
          <Tabs.Tab value="orgs">{t('admin.organisations')}</Tabs.Tab>
          <Tabs.Tab value="users">{t('admin.users')}</Tabs.Tab>
          <Tabs.Tab value="keys">{t('admin.keys')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="uploads" pt="sm">
          <Uploads />
        </Tabs.Panel>
        <Tabs.Panel value="orgs" pt="sm">
          <Organisations />
        </Tabs.Panel>
        <Tabs.Panel value="users" pt="sm">
          <Users />
        </Tabs.Panel>
        <Tabs.Panel value="keys" pt="sm">
          <ApiKeys />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

interface UploadResult {
  kind: string;
  file: string;
  dryRun: boolean;
  rows: number;
  loaded: number;
  unchanged: number;
  closed: number;
  importId: number | null;
}
interface LineProblem {
  line: number;
  field: string | null;
  message: string;
}

/** Most bytes the page sends (the server takes 4 million characters of text). */
const maxFileBytes = 4_000_000;

function Uploads() {
  const { t } = useI18n();
  const [kind, setKind] = useState('exchange-rates');
  const [file, setFile] = useState<File | null>(null);
  const [dryRun, setDryRun] = useState(false);
  const [progress, setProgress] = useState<{ phase: 'idle' | 'sending' | 'checking'; pct: number }>({ phase: 'idle', pct: 0 });
  const upload = useMutation({
    mutationFn: async () => {
      if (!file) {
        throw new Error(t('admin.chooseFile'));
      }
      if (file.size > maxFileBytes) {
        throw new Error(t('admin.tooBig', { max: '4 MB' }));
      }
      const content = await file.text();
      setProgress({ phase: 'sending', pct: 0 });
      return postWithProgress<UploadResult>(`/uploads/${kind}`, { fileName: file.name, content, ...(dryRun ? { dryRun: true } : {}) }, (p) => {
        // Once every byte is sent the server checks and loads the file: the bar then says so.
        const pct = p.total > 0 ? Math.round((p.sent / p.total) * 100) : 0;
        setProgress({ phase: p.total > 0 && p.sent >= p.total ? 'checking' : 'sending', pct });
      });
    },
    onSettled: () => setProgress({ phase: 'idle', pct: 0 }),
  });
  const problem = upload.error instanceof ApiError ? upload.error.problem : undefined;
  const lines = (problem?.lines as LineProblem[] | undefined) ?? [];
  const total = typeof problem?.linesTotal === 'number' ? problem.linesTotal : lines.length;
  return (
    <Stack gap="sm">
      <Text size="sm">{t('admin.uploadsHint')}</Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          upload.mutate();
        }}
      >
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Select
            label={t('admin.dataKind')}
            value={kind}
            onChange={(v) => setKind(v ?? 'exchange-rates')}
            allowDeselect={false}
            data={[
              { value: 'exchange-rates', label: t('admin.kind.exchange-rates') },
              { value: 'tariff', label: t('admin.kind.tariff') },
              { value: 'crsp', label: t('admin.kind.crsp') },
            ]}
          />
          <FileInput label={t('admin.file')} value={file} onChange={setFile} accept=".csv,text/csv" clearable required placeholder={t('admin.chooseFile')} />
          <Switch mt={30} label={t('admin.dryRun')} checked={dryRun} onChange={(e) => setDryRun(e.currentTarget.checked)} />
        </SimpleGrid>
        <Group mt="sm">
          <Button type="submit" loading={upload.isPending} disabled={!file}>
            {t('admin.upload')}
          </Button>
        </Group>
      </form>
      {progress.phase !== 'idle' && (
        <Stack gap={4}>
          <Progress value={progress.phase === 'checking' ? 100 : progress.pct} animated={progress.phase === 'checking'} aria-label={t('admin.progress')} data-testid="upload-progress" />
          <Text size="sm" aria-live="polite">
            {progress.phase === 'checking' ? t('admin.checking') : t('admin.sending', { pct: progress.pct })}
          </Text>
        </Stack>
      )}
      {upload.data && (
        <Alert color="green" title={upload.data.dryRun ? t('admin.checkedOnly') : t('admin.loaded')} role="status" data-testid="upload-result">
          {t('admin.summary', { file: upload.data.file, rows: upload.data.rows, loaded: upload.data.loaded, unchanged: upload.data.unchanged, closed: upload.data.closed })}
        </Alert>
      )}
      {upload.error && (
        <Stack gap="xs">
          <Alert color="red" title={problem?.title ?? t('common.error')} role="alert">
            {problem?.detail ?? upload.error.message}
          </Alert>
          {lines.length > 0 && (
            <Section title={t('admin.lineErrors', { n: total })}>
              <Rows<LineProblem>
                label={t('admin.lineErrors', { n: total })}
                minWidth={320}
                rows={lines}
                head={[t('admin.line'), t('admin.field'), t('admin.message')]}
                render={(l) => [l.line, l.field ?? '—', l.message]}
              />
              {total > lines.length && (
                <Text size="sm" c="dimmed">
                  {t('admin.moreLines', { n: total - lines.length })}
                </Text>
              )}
            </Section>
          )}
        </Stack>
      )}
    </Stack>
  );
}

function Organisations() {
  const { t } = useI18n();
  const client = useQueryClient();
  const list = useQuery({ queryKey: ['admin', 'orgs'], queryFn: () => api.get<{ items: Org[] }>('/organisations') });
  const [draft, setDraft] = useState({ code: '', name: '', kind: 'clearing_agent', pin: '' });
  const create = useMutation({
    mutationFn: () => api.post<Org>('/organisations', { code: draft.code.trim().toUpperCase(), name: draft.name.trim(), kind: draft.kind, ...(draft.pin.trim() ? { pin: draft.pin.trim().toUpperCase() } : {}) }),
    onSuccess: async () => {
      setDraft({ code: '', name: '', kind: 'clearing_agent', pin: '' });
      await client.invalidateQueries({ queryKey: ['admin', 'orgs'] });
    },
  });
  const fields = create.error instanceof ApiError ? create.error.fields : {};
  return (
    <Stack>
      {list.isLoading ? <Loading /> : <Rows<Org> label={t('admin.organisations')} rows={list.data?.items ?? []} head={[t('admin.code'), t('risk.name'), t('admin.kind')]} render={(o) => [o.code, o.name, o.kind]} />}
      <ProblemAlert error={list.error} />
      <FormCard title={t('admin.newOrganisation')} submit={t('admin.create')} pending={create.isPending} error={create.error} onSubmit={() => create.mutate()}>
        <SimpleGrid cols={{ base: 1, sm: 4 }}>
          <TextInput label={t('admin.code')} value={draft.code} onChange={(e) => setDraft({ ...draft, code: e.currentTarget.value })} error={fields['/code']} maxLength={16} required />
          <TextInput label={t('risk.name')} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })} error={fields['/name']} maxLength={200} required />
          <Select label={t('admin.kind')} value={draft.kind} onChange={(v) => setDraft({ ...draft, kind: v ?? 'clearing_agent' })} data={orgKinds} allowDeselect={false} />
          <TextInput label={t('admin.pin')} value={draft.pin} onChange={(e) => setDraft({ ...draft, pin: e.currentTarget.value })} error={fields['/pin']} maxLength={20} />
        </SimpleGrid>
      </FormCard>
    </Stack>
  );
}

function Users() {
  const { t } = useI18n();
  const label = useLabel();
  const client = useQueryClient();
  const list = useQuery({ queryKey: ['admin', 'users'], queryFn: () => api.get<{ items: UserRow[] }>('/users?limit=200') });
  const [draft, setDraft] = useState({ organisationCode: '', username: '', displayName: '', password: '', roles: [] as string[] });
  const create = useMutation({
    mutationFn: () =>
      api.post<UserRow>('/users', {
        organisationCode: draft.organisationCode.trim().toUpperCase(),
        username: draft.username.trim(),
        displayName: draft.displayName.trim(),
        password: draft.password,
        roles: draft.roles,
      }),
    onSuccess: async () => {
      setDraft({ organisationCode: '', username: '', displayName: '', password: '', roles: [] });
      await client.invalidateQueries({ queryKey: ['admin', 'users'] });
    },
  });
  const deactivate = useMutation({ mutationFn: (id: string) => api.post<UserRow>(`/users/${id}/deactivate`, {}), onSuccess: () => client.invalidateQueries({ queryKey: ['admin', 'users'] }) });
  const fields = create.error instanceof ApiError ? create.error.fields : {};
  return (
    <Stack>
      {list.isLoading ? (
        <Loading />
      ) : (
        <Rows<UserRow>
          label={t('admin.users')}
          rows={list.data?.items ?? []}
          head={[t('login.username'), t('risk.name'), t('admin.roles'), t('admin.active'), '']}
          render={(u) => [
            u.username,
            u.displayName,
            u.roles.map((r) => label('role', r)).join(', '),
            u.active === false ? <Badge color="gray">{t('admin.inactive')}</Badge> : <Badge color="green">{t('admin.active')}</Badge>,
            u.active === false ? null : (
              <Button size="xs" variant="subtle" color="red" onClick={() => deactivate.mutate(u.id)} aria-label={`${t('admin.deactivate')} ${u.username}`}>
                {t('admin.deactivate')}
              </Button>
            ),
          ]}
        />
      )}
      <ProblemAlert error={list.error ?? deactivate.error} />
      <FormCard title={t('admin.newUser')} submit={t('admin.create')} pending={create.isPending} error={create.error} onSubmit={() => create.mutate()}>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput label={t('admin.organisationCode')} value={draft.organisationCode} onChange={(e) => setDraft({ ...draft, organisationCode: e.currentTarget.value })} error={fields['/organisationCode']} maxLength={16} required />
          <TextInput label={t('login.username')} value={draft.username} onChange={(e) => setDraft({ ...draft, username: e.currentTarget.value })} error={fields['/username']} maxLength={64} required autoComplete="off" />
          <TextInput label={t('risk.name')} value={draft.displayName} onChange={(e) => setDraft({ ...draft, displayName: e.currentTarget.value })} error={fields['/displayName']} maxLength={200} required />
          <PasswordInput label={t('login.password')} description={t('admin.passwordHint')} value={draft.password} onChange={(e) => setDraft({ ...draft, password: e.currentTarget.value })} error={fields['/password']} maxLength={256} required autoComplete="new-password" />
          <MultiSelect label={t('admin.roles')} value={draft.roles} onChange={(roles) => setDraft({ ...draft, roles })} data={allRoles.map((r) => ({ value: r, label: label('role', r) }))} error={fields['/roles']} required />
        </SimpleGrid>
      </FormCard>
    </Stack>
  );
}

function ApiKeys() {
  const { t, lang } = useI18n();
  const label = useLabel();
  const client = useQueryClient();
  const list = useQuery({ queryKey: ['admin', 'keys'], queryFn: () => api.get<{ items: Key[] }>('/api-keys') });
  const [draft, setDraft] = useState({ organisationCode: '', name: '', roles: [] as string[] });
  const [issued, setIssued] = useState<{ name: string; key: string } | null>(null);
  const create = useMutation({
    mutationFn: () => api.post<Key & { key: string | null }>('/api-keys', { organisationCode: draft.organisationCode.trim().toUpperCase(), name: draft.name.trim(), roles: draft.roles }),
    onSuccess: async (k) => {
      setIssued(k.key ? { name: k.name, key: k.key } : null);
      setDraft({ organisationCode: '', name: '', roles: [] });
      await client.invalidateQueries({ queryKey: ['admin', 'keys'] });
    },
  });
  const revoke = useMutation({ mutationFn: (id: string) => api.post<Key>(`/api-keys/${id}/revoke`, {}), onSuccess: () => client.invalidateQueries({ queryKey: ['admin', 'keys'] }) });
  const fields = create.error instanceof ApiError ? create.error.fields : {};
  return (
    <Stack>
      {issued && (
        <Alert color="yellow" title={t('admin.keyOnce', { name: issued.name })} role="status" withCloseButton onClose={() => setIssued(null)} closeButtonLabel={t('common.close')}>
          <Group gap="xs" wrap="nowrap">
            <Code data-testid="new-key" style={{ wordBreak: 'break-all' }}>
              {issued.key}
            </Code>
            <CopyButton value={issued.key}>
              {({ copied, copy }) => (
                <Button size="xs" variant="light" onClick={copy}>
                  {copied ? t('admin.copied') : t('admin.copy')}
                </Button>
              )}
            </CopyButton>
          </Group>
        </Alert>
      )}
      {list.isLoading ? (
        <Loading />
      ) : (
        <Rows<Key>
          label={t('admin.keys')}
          rows={list.data?.items ?? []}
          head={[t('risk.name'), t('admin.prefix'), t('admin.roles'), t('consignments.status'), t('admin.expires'), '']}
          render={(k) => [
            k.name,
            <Code key="p">{k.keyPrefix}</Code>,
            k.roles.map((r) => label('role', r)).join(', '),
            <span key="s" data-key-status={k.status}>
              {k.status === 'active' ? t('admin.active') : k.status === 'revoked' ? t('admin.revoked') : k.status}
            </span>,
            when(k.expiresAt, lang),
            k.status === 'revoked' ? null : (
              <Button size="xs" variant="subtle" color="red" onClick={() => revoke.mutate(k.id)} aria-label={`${t('admin.revoke')} ${k.name}`}>
                {t('admin.revoke')}
              </Button>
            ),
          ]}
        />
      )}
      <ProblemAlert error={list.error ?? revoke.error} />
      <FormCard title={t('admin.newKey')} submit={t('admin.issueKey')} pending={create.isPending} error={create.error} onSubmit={() => create.mutate()}>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput label={t('admin.organisationCode')} value={draft.organisationCode} onChange={(e) => setDraft({ ...draft, organisationCode: e.currentTarget.value })} error={fields['/organisationCode']} maxLength={16} required />
          <TextInput label={t('admin.keyName')} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })} error={fields['/name']} maxLength={100} required />
          <MultiSelect label={t('admin.roles')} value={draft.roles} onChange={(roles) => setDraft({ ...draft, roles })} data={allRoles.map((r) => ({ value: r, label: label('role', r) }))} error={fields['/roles']} required />
        </SimpleGrid>
      </FormCard>
    </Stack>
  );
}
