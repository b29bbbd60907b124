// The console's HTTP client: same-origin fetches with the session cookie, the CSRF token on every
// unsafe request, and API errors ({"error":{"code","message"}}) turned into ApiError so pages can
// show them.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

// Called when a request comes back 401 (the session ended): the app shows the login page.
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(f: () => void): void {
  onUnauthenticated = f;
}

async function errorOf(res: Response): Promise<ApiError> {
  let code = `HTTP${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = await res.json();
    if (body && body.error) {
      code = String(body.error.code ?? code);
      message = String(body.error.message ?? message);
    }
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(res.status, code, message);
}

export interface CallOptions {
  // Do not treat 401 as "session ended" (the login form itself).
  quiet401?: boolean;
}

async function send(method: string, path: string, body?: unknown, opts: CallOptions = {}) {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  }
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'Unavailable', `cannot reach loupe: ${(e as Error).message}`);
  }
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && !opts.quiet401) onUnauthenticated();
    throw err;
  }
  return res;
}

// JSON call; resolves to null for 204 No Content.
export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  opts?: CallOptions,
): Promise<T | null> {
  const res = await send(method, path, body, opts);
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? (JSON.parse(text) as T) : null;
}

export const get = <T = unknown>(path: string) => api<T>('GET', path) as Promise<T>;
export const post = <T = unknown>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});

// Fetches an image (or any bytes) and returns an object URL for <img src>; the caller revokes it.
export async function blobUrl(path: string): Promise<string> {
  const res = await send('GET', path);
  return URL.createObjectURL(await res.blob());
}

// Path segment encoding for keys and ids (keeps '/' separators where asked).
export function enc(segment: string, keepSlashes = false): string {
  const e = encodeURIComponent(segment);
  return keepSlashes ? e.replace(/%2F/g, '/') : e;
}
