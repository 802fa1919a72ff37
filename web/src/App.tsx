import { AppShell, Burger, Button, Group, NavLink, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { ReactNode } from 'react';
import { hasRole, useAuth } from './auth.tsx';
import { useI18n } from './i18n.tsx';
import type { MessageKey } from './i18n/en.ts';
import { match, useRouter, Link } from './router.tsx';
import { Home } from './pages/Home.tsx';
import { Calculator } from './pages/Calculator.tsx';
import { Status } from './pages/Status.tsx';
import { Login } from './pages/Login.tsx';
import { Consignments } from './pages/Consignments.tsx';
import { DeclarationForm } from './pages/DeclarationForm.tsx';
import { DeclarationPage } from './pages/DeclarationPage.tsx';
import { ManifestForm } from './pages/ManifestForm.tsx';
import { Queue } from './pages/Queue.tsx';
import { TaskPage } from './pages/TaskPage.tsx';
import { Roster } from './pages/Roster.tsx';
import { RiskPage } from './pages/RiskPage.tsx';
import { Dashboard } from './pages/Dashboard.tsx';
import { Admin } from './pages/Admin.tsx';

interface Route {
  path: string;
  page: (params: Record<string, string>) => ReactNode;
  /** Roles that may open it; none: public. */
  roles?: string[];
}

const trade = ['agent', 'trader', 'carrier'];
const customs = ['officer', 'supervisor', 'risk_analyst', 'admin'];

const routes: Route[] = [
  { path: '/', page: () => <Home /> },
  { path: '/calculator', page: () => <Calculator /> },
  { path: '/status', page: () => <Status /> },
  { path: '/login', page: () => <Login /> },
  { path: '/portal', page: () => <Consignments />, roles: [...trade, ...customs] },
  { path: '/portal/declarations/new', page: () => <DeclarationForm />, roles: ['agent', 'trader'] },
  { path: '/portal/declarations/:id', page: (p) => <DeclarationPage id={p.id!} />, roles: [...trade, ...customs] },
  { path: '/portal/manifests/new', page: () => <ManifestForm />, roles: ['carrier'] },
  { path: '/workbench', page: () => <Queue />, roles: customs },
  { path: '/workbench/tasks/:id', page: (p) => <TaskPage id={p.id!} />, roles: customs },
  { path: '/workbench/roster', page: () => <Roster />, roles: ['supervisor'] },
  { path: '/workbench/risk', page: () => <RiskPage />, roles: ['risk_analyst', 'supervisor', 'admin'] },
  { path: '/dashboard', page: () => <Dashboard />, roles: customs },
  { path: '/admin', page: () => <Admin />, roles: ['admin'] },
];

interface NavItem {
  to: string;
  label: MessageKey;
  roles?: string[];
}

const nav: NavItem[] = [
  { to: '/calculator', label: 'nav.calculator' },
  { to: '/status', label: 'nav.status' },
  { to: '/portal', label: 'nav.consignments', roles: trade },
  { to: '/portal/declarations/new', label: 'nav.newDeclaration', roles: ['agent', 'trader'] },
  { to: '/portal/manifests/new', label: 'nav.newManifest', roles: ['carrier'] },
  { to: '/workbench', label: 'nav.queue', roles: customs },
  { to: '/portal', label: 'nav.declarations', roles: customs },
  { to: '/workbench/roster', label: 'nav.roster', roles: ['supervisor'] },
  { to: '/workbench/risk', label: 'nav.risk', roles: ['risk_analyst', 'supervisor', 'admin'] },
  { to: '/dashboard', label: 'nav.dashboard', roles: customs },
  { to: '/admin', label: 'nav.admin', roles: ['admin'] },
];

export function App() {
  const [opened, menu] = useDisclosure(false);
  const { t, lang, setLang } = useI18n();
  const { user, logout } = useAuth();
  const { location, navigate } = useRouter();

  let content: ReactNode = <Text>{t('common.notFound')}</Text>;
  for (const route of routes) {
    const params = match(route.path, location.path);
    if (params) {
      if (route.roles && !user) {
        content = <Login next={location.path + (location.search.size ? `?${location.search.toString()}` : '')} />;
      } else if (route.roles && !hasRole(user, ...route.roles)) {
        content = <Text role="alert">{t('common.forbidden')}</Text>;
      } else {
        content = route.page(params);
      }
      break;
    }
  }
  const items = nav.filter((n) => !n.roles || hasRole(user, ...n.roles));

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <a className="skip-link" href="#main">
        {t('common.skipToContent')}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={menu.toggle} hiddenFrom="sm" size="sm" aria-label={t('nav.menu')} />
            <Link to="/" style={{ textDecoration: 'none', color: 'inherit' }}>
              <Title order={1} size="h3" c="forodha.8">
                Forodha
              </Title>
            </Link>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <SegmentedControl
              size="xs"
              aria-label={t('nav.language')}
              value={lang}
              onChange={(v) => setLang(v)}
              data={[
                { value: 'en', label: 'English' },
                { value: 'sw', label: 'Kiswahili' },
              ]}
            />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label={t('nav.main')}>
        <Stack gap={2}>
          {items.map((n) => (
            <NavLink
              key={n.to + n.label}
              component="a"
              href={n.to}
              label={t(n.label)}
              active={location.path === n.to}
              onClick={(e: React.MouseEvent) => {
                e.preventDefault();
                navigate(n.to);
                menu.close();
              }}
            />
          ))}
        </Stack>
        <Stack gap={4} mt="auto" pt="md">
          {user ? (
            <>
              <Text size="sm" fw={600}>
                {user.displayName}
              </Text>
              <Text size="xs" c="dimmed">
                {user.organisation.name}
              </Text>
              <Button
                variant="light"
                size="xs"
                onClick={() => {
                  void logout().then(() => navigate('/'));
                }}
              >
                {t('nav.logout')}
              </Button>
            </>
          ) : (
            <Button
              size="xs"
              onClick={() => {
                navigate('/login');
                menu.close();
              }}
            >
              {t('nav.login')}
            </Button>
          )}
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        {content}
      </AppShell.Main>
    </AppShell>
  );
}
