// Administration: organisations, users and API keys (issue, rotate, revoke are in the API; shown here).
import { Badge, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api.ts';
import { Loading, ProblemAlert } from '../components/common.tsx';
import { when } from '../format.ts';
import { useI18n } from '../i18n.tsx';

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
  organisation?: { code: string };
}
interface Key {
  id: string;
  name: string;
  roles: string[];
  status: string;
  expiresAt: string;
  organisation?: { code: string };
}

function List<T>({ path, render, head }: { path: string; head: string[]; render: (row: T) => React.ReactNode[] }) {
  const q = useQuery({ queryKey: ['admin', path], queryFn: () => api.get<{ items: T[] }>(path) });
  if (q.isLoading) {
    return <Loading />;
  }
  if (q.error) {
    return <ProblemAlert error={q.error} />;
  }
  const rows = q.data?.items ?? [];
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            {head.map((h) => (
              <Table.Th key={h}>{h}</Table.Th>
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
  const { t, lang } = useI18n();
  return (
    <Stack maw={1100}>
      <Title order={2}>{t('nav.admin')}</Title>
      <Tabs defaultValue="orgs">
        <Tabs.List>
          <Tabs.Tab value="orgs">{t('admin.organisations')}</Tabs.Tab>
          <Tabs.Tab value="users">{t('admin.users')}</Tabs.Tab>
          <Tabs.Tab value="keys">{t('admin.keys')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="orgs" pt="sm">
          <List<Org> path="/organisations" head={[t('admin.code'), t('risk.name'), t('admin.kind')]} render={(o) => [o.code, o.name, o.kind]} />
        </Tabs.Panel>
        <Tabs.Panel value="users" pt="sm">
          <List<UserRow>
            path="/users?limit=200"
            head={[t('login.username'), t('risk.name'), t('admin.roles'), t('admin.active')]}
            render={(u) => [u.username, u.displayName, u.roles.join(', '), u.active === false ? <Badge color="gray">{t('admin.inactive')}</Badge> : <Badge color="green">{t('admin.active')}</Badge>]}
          />
        </Tabs.Panel>
        <Tabs.Panel value="keys" pt="sm">
          <List<Key> path="/api-keys" head={[t('risk.name'), t('admin.roles'), t('consignments.status'), t('admin.expires')]} render={(k) => [k.name, k.roles.join(', '), k.status, when(k.expiresAt, lang)]} />
          <Text size="xs" c="dimmed" mt="xs">
            {t('admin.keysHint')}
          </Text>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
