import { Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { hasRole, useAuth } from '../auth.tsx';
import { useI18n } from '../i18n.tsx';
import { useRouter } from '../router.tsx';

export function Home() {
  const { t } = useI18n();
  const { user } = useAuth();
  const { navigate } = useRouter();
  const cards = [
    { title: t('home.calculatorTitle'), text: t('home.calculatorText'), to: '/calculator', action: t('home.calculatorAction') },
    { title: t('home.statusTitle'), text: t('home.statusText'), to: '/status', action: t('home.statusAction') },
    user
      ? hasRole(user, 'officer', 'supervisor', 'risk_analyst', 'admin')
        ? { title: t('home.workbenchTitle'), text: t('home.workbenchText'), to: '/workbench', action: t('home.workbenchAction') }
        : { title: t('home.portalTitle'), text: t('home.portalText'), to: '/portal', action: t('home.portalAction') }
      : { title: t('home.loginTitle'), text: t('home.loginText'), to: '/login', action: t('nav.login') },
  ];
  return (
    <Stack maw={1000}>
      <Title order={2}>{t('home.title')}</Title>
      <Text>{t('home.intro')}</Text>
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        {cards.map((c) => (
          <Card key={c.to} withBorder padding="lg">
            <Title order={3} size="h4">
              {c.title}
            </Title>
            <Text size="sm" my="sm">
              {c.text}
            </Text>
            <Group>
              <Button component="a" href={c.to} onClick={(e: React.MouseEvent) => { e.preventDefault(); navigate(c.to); }}>
                {c.action}
              </Button>
            </Group>
          </Card>
        ))}
      </SimpleGrid>
    </Stack>
  );
}
