// The admin's session and the hospital a platform admin is looking at.
import { request } from '../common/api';

export interface Me {
  login: string;
  role: string;
  tenant: string;
  kind: string;
}

let tenant = '';

// A platform admin reads another hospital by naming it, as every API
// client does (X-Cloudfilm-Tenant); others always read their own.
export function setTenant(code: string): void {
  tenant = code;
}

export function currentTenant(): string {
  return tenant;
}

function withTenant(init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  if (tenant) headers.set('X-Cloudfilm-Tenant', tenant);
  headers.set('Accept', 'application/json');
  return { ...init, headers };
}

export async function adminGet<T>(path: string): Promise<T> {
  return (await request(path, withTenant())).json() as Promise<T>;
}

export async function adminPost<T>(path: string, body: unknown): Promise<T> {
  const response = await request(path, withTenant({ method: 'POST', body: JSON.stringify(body) }));
  return response.json() as Promise<T>;
}

export async function adminDelete(path: string): Promise<void> {
  await request(path, withTenant({ method: 'DELETE' }));
}

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

export async function adminPut<T>(path: string, body: unknown): Promise<T> {
  const response = await request(path, withTenant({ method: 'PUT', body: JSON.stringify(body) }));
  return response.json() as Promise<T>;
}
