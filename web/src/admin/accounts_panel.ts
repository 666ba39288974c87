// Users and roles: the accounts of the hospital, and a new one.
import { ApiError } from '../common/api';
import { h } from '../common/dom';
import { dateTime } from '../common/format';
import { t } from '../common/i18n';
import { adminGet, adminPost, currentTenant, type Me } from './session';
import { field, status, table } from './table';

interface Account {
  id: number;
  login: string;
  role: string;
  tenant: string;
  created_ms: number;
  last_login_ms: number | null;
  locked_until_ms: number;
  disabled: boolean;
  totp: string;
}

const kRoles = ['hospital-admin', 'technologist', 'doctor', 'kiosk', 'auditor', 'api-client'];

export async function accountsPanel(me: Me, rerender: () => void): Promise<HTMLElement> {
  const { accounts } = await adminGet<{ accounts: Account[] }>('/api/accounts');
  const tenant = currentTenant() || me.tenant;
  const shown = accounts.filter((a) => me.role !== 'platform-admin' || a.tenant === tenant || a.role === 'platform-admin');
  const state = (a: Account) =>
    a.disabled ? t('disabled') : a.locked_until_ms > Date.now() ? t('locked') : t('active');
  const login = h('input', { name: 'login', required: true, autocomplete: 'off', 'data-testid': 'new-login' });
  const password = h('input', { name: 'password', type: 'password', required: true, minlength: 12, autocomplete: 'new-password', 'data-testid': 'new-password' });
  const roles = me.role === 'platform-admin' ? ['platform-admin', ...kRoles] : kRoles;
  const role = h('select', { name: 'role', 'data-testid': 'new-role' }, roles.map((r) => h('option', { value: r }, t(`role.${r}`))));
  const out = status();
  const form = h(
    'form',
    { class: 'inline', 'data-testid': 'create-account' },
    h('h2', {}, t('create_account')),
    field(t('login'), login),
    field(t('password'), password),
    field(t('role'), role),
    h('button', { type: 'submit' }, t('create')),
    out,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const created = await adminPost<Account>('/api/accounts', {
        login: login.value,
        password: password.value,
        role: role.value,
        tenant,
      });
      password.value = '';
      out.className = 'ok';
      out.textContent = t('created_account', { login: created.login });
      setTimeout(rerender, 600);
    } catch (err) {
      out.className = 'error';
      out.textContent = err instanceof ApiError ? err.message : String(err);
    }
  });
  return h(
    'section',
    {},
    table(
      [t('login'), t('role'), t('hospital'), t('created'), t('last_login'), 'TOTP', t('state')],
      shown.map((a) => [
        a.login,
        t(`role.${a.role}`),
        a.tenant,
        dateTime(a.created_ms),
        a.last_login_ms ? dateTime(a.last_login_ms) : '—',
        a.totp,
        state(a),
      ]),
      'accounts',
    ),
    form,
  );
}
