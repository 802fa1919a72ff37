// English and Kiswahili: every string the UI shows comes from these two dictionaries (web/src/i18n/).
// The choice is kept for the visit (and in the page's lang attribute), not in storage.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en, type MessageKey } from './i18n/en.ts';
import { sw } from './i18n/sw.ts';

export type Lang = 'en' | 'sw';
export const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, sw };

type Vars = Record<string, string | number>;

const I18nContext = createContext<{ lang: Lang; setLang: (l: Lang) => void; t: (key: MessageKey, vars?: Vars) => string }>({
  lang: 'en',
  setLang: () => undefined,
  t: (key) => en[key],
});

function initialLang(): Lang {
  const asked = new URLSearchParams(window.location.search).get('lang');
  if (asked === 'sw' || asked === 'en') {
    return asked;
  }
  return navigator.language.toLowerCase().startsWith('sw') ? 'sw' : 'en';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLang] = useState<Lang>(initialLang);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const t = useCallback(
    (key: MessageKey, vars?: Vars) => {
      let s = dictionaries[lang][key];
      for (const [k, v] of Object.entries(vars ?? {})) {
        s = s.replaceAll(`{${k}}`, String(v));
      }
      return s;
    },
    [lang],
  );
  const value = useMemo(() => ({ lang, setLang, t }), [lang, t]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n() {
  return useContext(I18nContext);
}

/** A status, channel or action from the API in the chosen language (the code itself when unknown). */
export function useLabel() {
  const { t } = useI18n();
  return (prefix: 'status' | 'channel' | 'action' | 'role', code: string | null | undefined): string => {
    if (!code) {
      return '—';
    }
    const key = `${prefix}.${code}` as MessageKey;
    return key in en ? t(key) : code.replaceAll('_', ' ');
  };
}
