// The doctor viewer at /viewer: sign-in (password, then the authenticator
// code when the account has one), the study list of the doctor's hospital,
// and the reading page of one study.
// Entry points:
//   /viewer                                the study list;
//   /viewer?study=UID (or studyUID=UID)    one study (also from a doctor
//                                          share: the share session's cookie
//                                          opens it, no account needed);
//   /viewer?patientID=…&accession=…        IHE IID-style launch: the study
//                                          with that patient ID and accession.
import '../common/style.css';
import './viewer.css';
import './messages';
import { ApiError, postJson } from '../common/api';
import { h, mount } from '../common/dom';
import { t } from '../common/i18n';
import { signInForm } from '../common/sign_in';
import { langSwitch } from '../common/lang_switch';
import * as api from './api';
import { renderStudyList, type ListQuery } from './study_list';
import { errorText } from './util';

const root = document.getElementById('app')!;
let me: api.Me | null = null;
let current: { destroy(): void } | null = null;

function header(...extra: (Node | null)[]): HTMLElement {
  const who = me
    ? me.kind === 'share'
      ? t('share_session')
      : t('signed_in_as', { login: me.login, role: t(`role.${me.role}`), tenant: me.tenant })
    : null;
  return h(
    'header',
    { class: 'bar' },
    h('h1', {}, h('a', { href: '/viewer', 'data-testid': 'home', onclick: (e: Event) => navigate(e, '/viewer') }, t('title'))),
    ...extra,
    h(
      'div',
      { class: 'actions' },
      who ? h('span', { 'data-testid': 'me', class: 'muted' }, who) : null,
      langSwitch(() => void route()),
      me ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'sign-out', onclick: () => void signOut() }, t('sign_out')) : null,
    ),
  );
}

async function signOut(): Promise<void> {
  try {
    await postJson('/api/auth/logout', {});
  } catch {
    // the session may have ended already
  }
  me = null;
  history.pushState(null, '', '/viewer');
  void route();
}

function loginForm(notice: string | null): HTMLElement {
  return signInForm({
    intro: t('sign_in_intro'),
    notice,
    errorText,
    onSignedIn: async () => {
      me = await api.me();
      void route();
    },
  });
}

function listQueryFromUrl(params: URLSearchParams): ListQuery {
  return {
    name: params.get('name') ?? '',
    patientId: params.get('patientID') ?? '',
    accession: params.get('accession') ?? '',
    dateFrom: params.get('from') ?? '',
    dateTo: params.get('to') ?? '',
    modality: params.get('modality') ?? '',
    page: Math.max(0, Number(params.get('page') ?? 0) || 0),
  };
}

function navigate(e: Event | null, url: string): void {
  if (e) {
    const m = e as MouseEvent;
    if (m.ctrlKey || m.metaKey || m.shiftKey || m.button === 1) return; // a new tab
    e.preventDefault();
  }
  history.pushState(null, '', url);
  void route();
}

function showMessage(text: string, isError = true): void {
  mount(root, header(), h('main', {}, h('p', { class: isError ? 'notice error' : 'notice', role: 'alert' }, text)));
}

async function openStudy(uid: string): Promise<void> {
  const { renderStudy } = await import('./study_view');
  const main = h('main', { class: 'reading' });
  const top = h('div', { class: 'study-banner', 'data-testid': 'banner' });
  mount(root, header(top), main);
  current = await renderStudy(main, top, uid, { navigate, onSessionEnded });
}

function onSessionEnded(): void {
  me = null;
  void route(t('session_ended'));
}

async function route(notice: string | null = null): Promise<void> {
  current?.destroy();
  current = null;
  document.title = t('title');
  if (!me) {
    try {
      me = await api.me();
    } catch (error) {
      showMessage(errorText(error));
      return;
    }
  }
  if (!me) {
    mount(root, header(), h('main', {}, loginForm(notice)));
    return;
  }
  if (me.must_enrol_totp) {
    showMessage(t('enrol_first'));
    return;
  }
  const params = new URLSearchParams(location.search);
  const studyUid = params.get('study') ?? params.get('studyUID') ?? params.get('StudyInstanceUID');
  try {
    if (studyUid) {
      await openStudy(studyUid);
      return;
    }
    const query = listQueryFromUrl(params);
    if (params.get('patientID') && params.get('accession')) {
      // IHE IID "study" launch: straight to the study when it is one.
      const found = await api.searchStudies({ patientId: query.patientId, accession: query.accession, limit: 2, offset: 0 });
      if (found.rows.length === 1) {
        await openStudy(found.rows[0].studyUid);
        return;
      }
      if (found.rows.length === 0) notice = t('launch_none');
    }
    const main = h('main', { class: 'wide' });
    mount(root, header(), main);
    await renderStudyList(main, query, notice, { navigate });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      onSessionEnded();
      return;
    }
    showMessage(errorText(error));
  }
}

window.addEventListener('popstate', () => void route());
void route();
