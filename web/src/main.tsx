import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider, createTheme } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import '@mantine/core/styles.css';
import './app.css';
import { App } from './App.tsx';
import { I18nProvider } from './i18n.tsx';
import { AuthProvider } from './auth.tsx';
import { Router } from './router.tsx';

// Dark green on white passes WCAG AA contrast for text and controls.
const theme = createTheme({
  primaryColor: 'forodha',
  colors: {
    forodha: ['#e6f4ed', '#cde8da', '#9dd1b6', '#69b88f', '#3fa36f', '#26965b', '#168a4f', '#0b7541', '#0b5d3b', '#044a2d'],
  },
  primaryShade: 8,
  defaultRadius: 'sm',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif',
});

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 5_000 } } });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme}>
      <QueryClientProvider client={queryClient}>
        <I18nProvider>
          <AuthProvider>
            <Router>
              <App />
            </Router>
          </AuthProvider>
        </I18nProvider>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
