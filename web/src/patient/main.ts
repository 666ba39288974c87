// The patient app, opened from the QR code at /s/{token}: the second factor
// the share asks, then the exam(s) (report first, then the images), the film
// package, doctor shares with their own QR code, and who viewed the exam.
// A doctor opening a doctor share sees the same exam pages without the
// patient's own sections.
import '../common/style.css';
import './patient.css';
import './messages';
import { ApiError, cookie } from '../common/api';
import { h, mount } from '../common/dom';
import { t } from '../common/i18n';
import { langSwitch } from '../common/lang_switch';
import { personName } from '../common/format';
import * as api from './share_api';
import { prefetchViewer, renderExams } from './exam_view';
import { renderFactorPage, type FactorNotice } from './factor_view';
import { duration, showError } from './util';

const root = document.getElementById('app')!;
const token = decodeURIComponent(location.pathname.replace(/^.*\/s\//, '').replace(/\/.*$/, ''));
const kSessionKey = 'cf.patient.session';

// The opened share survives a reload of the page (the session cookie is
// HttpOnly; this is only what the page needs to draw itself again).
interface Stored extends api.OpenedShare {
  token: string;
}

function stored(): Stored | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(kSessionKey) ?? 'null') as Stored | null;
    if (s && s.token === token && s.expires_ms > Date.now() && cookie('cf_csrf')) return s;
  } catch {
    // unreadable: ask again
  }
  return null;
}

let rerender: () => void = () => undefined;

function frame(title: string, ...content: (Node | string | null)[]): void {
  mount(
    root,
    h(
      'header',
      { class: 'bar' },
      h('h1', {}, title),
      h('div', { class: 'bar-actions' }, langSwitch(() => rerender())),
    ),
    h('main', { id: 'main' }, ...content),
  );
}

async function start(notice: FactorNotice | null = null): Promise<void> {
  const session = stored();
  if (session) {
    showExams(session);
    return;
  }
  rerender = () => void start(notice);
  frame(t('title'), h('p', { class: 'muted' }, t('loading')));
  let status: api.ShareStatus;
  try {
    status = await api.shareStatus(token);
  } catch (error) {
    const message =
      error instanceof ApiError && error.status === 401
        ? t('unknown_link')
        : error instanceof ApiError && error.status === 429
          ? t('too_many', { time: duration(api.retryAfter(error) ?? 60) })
          : showError(error);
    frame(t('title'), h('p', { class: 'notice error', role: 'alert', 'data-testid': 'link-error' }, message));
    return;
  }
  if (status.state === 'open' && status.factor === 'none') {
    // A doctor share without a factor: nothing to ask.
    try {
      opened(await api.openShare(token, ''));
    } catch (error) {
      frame(t('title'), h('p', { class: 'notice error', role: 'alert' }, showError(error)));
    }
    return;
  }
  rerender = () => void start(notice);
  frame(
    status.doctor ? t('title_doctor') : t('title'),
    renderFactorPage(token, status, notice, opened, (next) => {
      notice = next;
    }),
  );
  if (status.state === 'open') prefetchViewer();
}

function opened(answer: api.OpenedShare): void {
  const session: Stored = { ...answer, token };
  sessionStorage.setItem(kSessionKey, JSON.stringify(session));
  showExams(session);
}

function showExams(session: Stored): void {
  rerender = () => showExams(session);
  const content = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const signOut = h('button', { type: 'button', class: 'secondary', 'data-testid': 'sign-out' }, t('sign_out'));
  signOut.addEventListener('click', async () => {
    try {
      await api.signOut();
    } catch {
      // the session may have ended already: sign out locally anyway
    }
    sessionStorage.removeItem(kSessionKey);
    void start({ kind: 'info', text: t('signed_out') });
  });
  frame(session.owner ? t('title') : t('title_doctor'), content, h('p', { class: 'center' }, signOut));
  void renderExams(content, session, {
    onSessionEnded: () => {
      sessionStorage.removeItem(kSessionKey);
      void start({ kind: 'error', text: t('session_ended') });
    },
    setTitle: (study) => {
      const h1 = root.querySelector('header h1');
      if (h1) h1.textContent = personName(study.patient_name) || h1.textContent;
    },
  });
}

void start();
