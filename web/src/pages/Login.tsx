import { Button, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { hasRole, useAuth } from '../auth.tsx';
import { ProblemAlert } from '../components/common.tsx';
import { useI18n } from '../i18n.tsx';
import { useRouter } from '../router.tsx';

export function Login({ next }: { next?: string }) {
  const { t } = useI18n();
  const { login } = useAuth();
  const { navigate, location } = useRouter();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const user = await login(username, password);
      const target = next && next !== '/login' ? next : hasRole(user, 'officer', 'supervisor', 'risk_analyst', 'admin') ? '/workbench' : '/portal';
      navigate(target, location.path === target);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Paper maw={420} withBorder p="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Stack>
          <Title order={2}>{t('login.title')}</Title>
          <Text size="sm" c="dimmed">
            {t('login.intro')}
          </Text>
          <ProblemAlert error={error} title={t('login.failed')} />
          <TextInput label={t('login.username')} name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.currentTarget.value)} data-autofocus />
          <PasswordInput label={t('login.password')} name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
          <Button type="submit" loading={busy}>
            {t('nav.login')}
          </Button>
        </Stack>
      </form>
    </Paper>
  );
}
