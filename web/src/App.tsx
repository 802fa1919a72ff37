import { AppShell, Burger, Button, Group, NavLink, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { lazy, Suspense, type ReactNode } from 'react';
import { hasRole, useAuth } from './auth.tsx';
import { useI18n } from './i18n.tsx';
import type { MessageKey } from './i18n/en.ts';
import { match, useRouter, Link } from './router.tsx';
import { Home } from './pages/Home.tsx';
import { Login } from './pages/Login.tsx';
import { Loading } from './components/common.tsx';

// Every page but the first screen and the login is its own chunk, loaded when first opened: the
// public calculator on a phone at the gate does not wait for the workbench and dashboards.
const Calculator = lazy(() => import('./pages/Calculator.tsx').then((m) => ({ default: m.Calculator })));
const Status = lazy(() => import('./pages/Status.tsx').then((m) => ({ default: m.Status })));
const Consignments = lazy(() => import('./pages/Consignments.tsx').then((m) => ({ default: m.Consignments })));
const DeclarationForm = lazy(() => import('./pages/DeclarationForm.tsx').then((m) => ({ default: m.DeclarationForm })));
const DeclarationPage = lazy(() => import('./pages/DeclarationPage.tsx').then((m) => ({ default: m.DeclarationPage })));
const ManifestForm = lazy(() => import('./pages/ManifestForm.tsx').then((m) => ({ default: m.ManifestForm })));
const Queue = lazy(() => import('./pages/Queue.tsx').then((m) => ({ default: m.Queue })));
const TaskPage = lazy(() => import('./pages/TaskPage.tsx').then((m) => ({ default: m.TaskPage })));
const Roster = lazy(() => import('./pages/Roster.tsx').then((m) => ({ default: m.Roster })));
const RiskPage = lazy(() => import('./pages/RiskPage.tsx').then((m) => ({ default: m.RiskPage })));
const Dashboard = lazy(() => import('./pages/Dashboard.tsx').then((m) => ({ default: m.Dashboard })));
const Admin = lazy(() => import('./pages/Admin.tsx').then((m) => ({ default: m.Admin })));
const Movements = lazy(() => import('./pages/Transit.tsx').then((m) => ({ default: m.Movements })));
const MovementPage = lazy(() => import('./pages/Transit.tsx').then((m) => ({ default: m.MovementPage })));
const AlertQueue = lazy(() => import('./pages/Transit.tsx').then((m) => ({ default: m.AlertQueue })));

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
  { path: '/portal/exports/new', page: () => <DeclarationForm kind="export" />, roles: ['agent', 'trader'] },
  { path: '/portal/declarations/:id', page: (p) => <DeclarationPage id={p.id!} />, roles: [...trade, ...customs] },
  { path: '/portal/manifests/new', page: () => <ManifestForm />, roles: ['carrier'] },
  { path: '/workbench', page: () => <Queue />, roles: customs },
  { path: '/workbench/tasks/:id', page: (p) => <TaskPage id={p.id!} />, roles: customs },
  { path: '/workbench/roster', page: () => <Roster />, roles: ['supervisor'] },
  { path: '/workbench/risk', page: () => <RiskPage />, roles: ['risk_analyst', 'supervisor', 'admin'] },
  { path: '/transit', page: () => <Movements />, roles: ['agent', ...customs] },
  { path: '/transit/movements/:id', page: (p) => <MovementPage id={p.id!} />, roles: ['agent', ...customs] },
  { path: '/workbench/alerts', page: () => <AlertQueue />, roles: customs },
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
  { to: '/portal/exports/new', label: 'nav.newExport', roles: ['agent', 'trader'] },
  { to: '/portal/manifests/new', label: 'nav.newManifest', roles: ['carrier'] },
  { to: '/workbench', label: 'nav.queue', roles: customs },
  { to: '/portal', label: 'nav.declarations', roles: customs },
  { to: '/workbench/roster', label: 'nav.roster', roles: ['supervisor'] },
  { to: '/workbench/risk', label: 'nav.risk', roles: ['risk_analyst', 'supervisor', 'admin'] },
  { to: '/transit', label: 'nav.transit', roles: ['agent', ...customs] },
  { to: '/workbench/alerts', label: 'nav.alerts', roles: customs },
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
        <Suspense fallback={<Loading />}>{content}</Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
