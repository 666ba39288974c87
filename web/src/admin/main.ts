// The admin console at /admin: sign-in, then storage, users and roles,
// shares, audit and the hospitals' DICOM setup of one hospital (a platform
// admin picks which).
import '../common/style.css';
import './admin.css';
import './messages';
import { ApiError, getJson, postJson } from '../common/api';
import { h, mount } from '../common/dom';
import { t } from '../common/i18n';
import { langSwitch } from '../common/lang_switch';
import { signInForm } from '../common/sign_in';
import { accountsPanel } from './accounts_panel';
import { auditPanel } from './audit_panel';
import { currentTenant, setTenant, type Me } from './session';
import { sharesPanel } from './shares_panel';
import { loadSite, sitePanel } from './site_panel';
import { storagePanel } from './storage_panel';

type Tab = 'storage' | 'accounts' | 'shares' | 'audit' | 'site';
const kTabs: Tab[] = ['storage', 'accounts', 'shares', 'audit', 'site'];
const kAdminRoles = ['platform-admin', 'hospital-admin'];

const root = document.getElementById('app')!;
let me: Me | null = null;
let tab: Tab = (location.hash.slice(1) as Tab) || 'storage';

function header(): HTMLElement {
  return h(
    'header',
    { class: 'bar' },
    h('h1', {}, t('title')),
    h(
      'div',
      { class: 'actions' },
      me ? h('span', { 'data-testid': 'me' }, t('signed_in_as', { login: me.login, role: t(`role.${me.role}`), tenant: me.tenant })) : null,
      langSwitch(render),
      me
        ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'sign-out', onclick: signOut }, t('sign_out'))
        : null,
    ),
  );
}

async function signOut(): Promise<void> {
  try {
    await postJson('/api/auth/logout', {});
  } finally {
    me = null;
    setTenant('');
    render();
  }
}

function loginForm(): HTMLElement {
  return signInForm({ onSignedIn: start });
}

async function tenantPicker(): Promise<HTMLElement | null> {
  if (me?.role !== 'platform-admin') return null;
  const site = await loadSite();
  if (site.tenants.length === 0) return null;
  if (!currentTenant()) setTenant(site.tenants[0].code);
  const select = h('select', { 'data-testid': 'tenant' },
    site.tenants.map((x) => h('option', { value: x.code, selected: x.code === currentTenant() }, `${x.name} (${x.code})`)));
  select.addEventListener('change', () => {
    setTenant(select.value);
    render();
  });
  return h('label', { class: 'tenant' }, h('span', {}, t('hospital')), select);
}

async function panel(): Promise<HTMLElement> {
  switch (tab) {
    case 'storage':
      return storagePanel();
    case 'accounts':
      return accountsPanel(me!, render);
    case 'shares':
      return sharesPanel();
    case 'audit':
      return auditPanel();
    case 'site':
      return sitePanel();
  }
}

async function render(): Promise<void> {
  document.title = t('title');
  if (!me) {
    mount(root, header(), h('main', {}, loginForm()));
    return;
  }
  if (!kAdminRoles.includes(me.role)) {
    mount(root, header(), h('main', {}, h('p', { class: 'error', role: 'alert' }, t('not_admin'))));
    return;
  }
  const nav = h('nav', { class: 'tabs', role: 'tablist' },
    kTabs.map((name) =>
      h('button', {
        type: 'button', role: 'tab', 'aria-selected': String(name === tab), class: name === tab ? '' : 'secondary',
        'data-testid': `tab-${name}`,
        onclick: () => {
          tab = name;
          location.hash = name;
          void render();
        },
      }, t(`tab_${name}`))));
  const body = h('div', { 'data-testid': `panel-${tab}` }, h('p', { class: 'muted' }, t('loading')));
  mount(root, header(), h('main', { class: 'wide' }, await tenantPicker(), nav, body));
  try {
    body.replaceChildren(await panel());
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      me = null;
      void render();
      return;
    }
    body.replaceChildren(h('p', { class: 'error', role: 'alert' }, err instanceof ApiError ? err.message : String(err)));
  }
}

async function start(): Promise<void> {
  try {
    me = await getJson<Me>('/api/auth/me');
  } catch {
    me = null;
  }
  await render();
}

void start();
