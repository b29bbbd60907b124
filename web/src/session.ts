// The signed-in user: learnt from POST /v1/auth/login or, after a reload, GET /v1/auth/me.

import { api, setCsrfToken } from './api';

export type RoleName = 'admin' | 'operator' | 'reviewer' | 'consumer';

export interface Session {
  User: string;
  Role: RoleName;
  Teams: string[];
  CsrfToken: string;
}

let current: Session | null = null;

export function session(): Session | null {
  return current;
}

function adopt(s: Session | null): Session | null {
  current = s;
  setCsrfToken(s?.CsrfToken ?? '');
  return s;
}

export async function restore(): Promise<Session | null> {
  try {
    return adopt(await api<Session>('GET', '/v1/auth/me', undefined, { quiet401: true }));
  } catch {
    return adopt(null);
  }
}

export async function login(user: string, password: string): Promise<Session> {
  const s = await api<Session>(
    'POST',
    '/v1/auth/login',
    { User: user, Password: password },
    { quiet401: true },
  );
  if (!s) throw new Error('login returned no session');
  return adopt(s) as Session;
}

export async function logout(): Promise<void> {
  try {
    await api('POST', '/v1/auth/logout', {}, { quiet401: true });
  } finally {
    adopt(null);
  }
}

export function isOperator(s: Session | null): boolean {
  return s !== null && (s.Role === 'operator' || s.Role === 'admin');
}

export function canReview(s: Session | null): boolean {
  return s !== null && (s.Role === 'reviewer' || isOperator(s));
}
