// The logged-in person, held in memory for this tab (see api.ts).
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, onSessionLost, setToken } from './api.ts';

export interface User {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  organisation: { id: string; code: string; name: string; kind: string };
}

interface Session {
  user: User | undefined;
  login: (username: string, password: string) => Promise<User>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<Session>({ user: undefined, login: () => Promise.reject(new Error('no provider')), logout: () => Promise.resolve() });

export const customsRoles = ['officer', 'supervisor', 'risk_analyst', 'admin'];
export const tradeRoles = ['agent', 'trader', 'carrier'];

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | undefined>();
  useEffect(() => {
    onSessionLost(() => {
      setToken(undefined);
      setUser(undefined);
    });
  }, []);
  const login = useCallback(async (username: string, password: string) => {
    const session = await api.post<{ token: string; user: User }>('/auth/login', { username, password });
    setToken(session.token);
    setUser(session.user);
    return session.user;
  }, []);
  const logout = useCallback(async () => {
    try {
      await api.post('/auth/logout');
    } finally {
      setToken(undefined);
      setUser(undefined);
    }
  }, []);
  const value = useMemo(() => ({ user, login, logout }), [user, login, logout]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth() {
  return useContext(AuthContext);
}

export function hasRole(user: User | undefined, ...roles: string[]): boolean {
  return !!user && user.roles.some((r) => roles.includes(r));
}
