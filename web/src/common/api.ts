// Calls to the cloudfilm HTTP API from the browser. Sessions live in the
// HttpOnly cf_session cookie; state-changing calls echo the cf_csrf cookie
// in X-CSRF-Token, as the server requires (docs/security.md).

// A refused call. Apps branch on `status`, `code` and `reason` (the
// problem's stable slug, e.g. "share-revoked"); `detail` is prose for
// people and may change, so it is shown, never parsed.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly code: string,
    readonly retryAfterS: number | null,
    readonly reason = '',
    readonly attemptsLeft: number | null = null,
  ) {
    super(detail || title || `HTTP ${status}`);
  }
}

export function cookie(name: string): string {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

async function problemOf(response: Response): Promise<ApiError> {
  let title = response.statusText;
  let detail = '';
  let code = '';
  let reason = '';
  let attemptsLeft: number | null = null;
  let retryAfterS: number | null = null;
  try {
    const body = await response.json();
    title = body.title ?? title;
    detail = body.detail ?? '';
    code = String(body.type ?? '').replace('urn:cloudfilm:error:', '');
    reason = typeof body.reason === 'string' ? body.reason : '';
    if (Number.isInteger(body.attempts_left)) attemptsLeft = body.attempts_left;
    if (Number.isInteger(body.retry_after_s)) retryAfterS = body.retry_after_s;
  } catch {
    // not problem JSON: the status line says enough
  }
  const retry = Number(response.headers.get('Retry-After') ?? NaN);
  if (Number.isInteger(retry) && retry >= 0) retryAfterS = retry;
  return new ApiError(response.status, title, detail, code, retryAfterS, reason, attemptsLeft);
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const method = (init.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = cookie('cf_csrf');
    if (csrf) headers.set('X-CSRF-Token', csrf);
  }
  if (init.body && typeof init.body === 'string' && !headers.has('Content-Type')) {
    headers.set('Content-Type', 'application/json');
  }
  const response = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  if (!response.ok) throw await problemOf(response);
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request(path, { headers: { Accept: 'application/json' } })).json() as Promise<T>;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await request(path, { method: 'POST', body: JSON.stringify(body) });
  return response.status === 204 ? (undefined as T) : (response.json() as Promise<T>);
}

export async function del(path: string): Promise<void> {
  await request(path, { method: 'DELETE' });
}
