// The patient's own sections: share with a doctor (a new QR code with an
// expiry, shown full screen to be scanned), the list of doctor shares with
// revocation, and who viewed the exam.
import QRCode from 'qrcode';
import { ApiError } from '../common/api';
import { h } from '../common/dom';
import { t } from '../common/i18n';
import { dateTime } from '../common/format';
import * as api from './share_api';
import type { ExamHooks } from './exam_view';
import { showError } from './util';

const kExpiries: Array<[number, string]> = [
  [24, 'hours_24'],
  [72, 'days_3'],
  [168, 'days_7'],
  [720, 'days_30'],
];

async function showQr(issued: api.IssuedShare, onClose: () => void): Promise<void> {
  const canvas = h('canvas', { 'data-testid': 'share-qr', role: 'img', 'aria-label': issued.url });
  const side = Math.min(window.innerWidth, window.innerHeight - 200, 480);
  await QRCode.toCanvas(canvas, issued.url, { errorCorrectionLevel: 'M', margin: 4, width: Math.max(200, side) });
  const closeButton = h('button', { type: 'button', class: 'wide', 'data-testid': 'share-qr-close' }, t('close'));
  const overlay = h(
    'div',
    { class: 'qr-screen', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('share_qr_title') },
    h('h2', {}, t('share_qr_title')),
    canvas,
    h('p', { class: 'muted small' }, t('share_until', { time: dateTime(issued.share.expires_ms) })),
    h('p', { class: 'url small', 'data-testid': 'share-url' }, issued.url),
    closeButton,
  );
  const close = () => {
    overlay.remove();
    document.body.classList.remove('no-scroll');
    onClose();
  };
  closeButton.addEventListener('click', close);
  document.body.append(overlay);
  document.body.classList.add('no-scroll');
  closeButton.focus();
  // Full brightness and no sleep while the doctor scans, where allowed.
  try {
    await (navigator as Navigator & { wakeLock?: { request(type: 'screen'): Promise<unknown> } }).wakeLock?.request('screen');
  } catch {
    // not allowed here: the code is still on screen
  }
}

function roleName(role: string): string {
  const key = `role_${role.replace(/-/g, '_')}`;
  const name = t(key);
  return name === key ? role || '—' : name;
}

function shareState(s: api.ShareInfo): string {
  if (s.revoked_ms !== null) return t('share_revoked');
  if (s.expires_ms <= Date.now()) return t('share_expired');
  return s.first_opened_ms !== null ? t('share_opened', { time: dateTime(s.first_opened_ms) }) : t('share_not_opened');
}

export function renderSharing(
  session: api.OpenedShare,
  hooks: ExamHooks,
  examLabel: (studyUid: string) => string,
): HTMLElement {
  const list = h('ul', { class: 'shares', 'data-testid': 'shares' });
  const history = h('ul', { class: 'history', 'data-testid': 'history' });
  const message = h('p', { role: 'status' });
  const fail = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) {
      hooks.onSessionEnded();
      return;
    }
    message.className = 'notice error';
    message.textContent = showError(error);
  };

  async function refresh(): Promise<void> {
    try {
      const [shares, events] = await Promise.all([api.myShares(), api.accessHistory()]);
      list.replaceChildren(
        ...(shares.length === 0
          ? [h('li', { class: 'muted' }, t('no_shares'))]
          : shares.map((s) => {
              const live = s.revoked_ms === null && s.expires_ms > Date.now();
              const revoke = live
                ? h('button', { type: 'button', class: 'danger', 'data-testid': 'revoke', 'data-share': s.id }, t('revoke'))
                : null;
              revoke?.addEventListener('click', async () => {
                if (!window.confirm(t('revoke_confirm'))) return;
                revoke.disabled = true;
                try {
                  await api.revokeShare(s.id);
                  await refresh();
                } catch (error) {
                  revoke.disabled = false;
                  fail(error);
                }
              });
              return h(
                'li',
                { 'data-share': s.id, class: live ? '' : 'ended' },
                h('span', {}, t('share_row', { created: dateTime(s.created_ms), until: dateTime(s.expires_ms) }), h('br', {}), h('span', { class: 'muted small', 'data-testid': 'share-state' }, shareState(s))),
                revoke,
              );
            })),
      );
      // One line per reader, action, exam and minute: a viewer's requests
      // of one minute are one visit.
      const seen = new Set<string>();
      const visits = events.filter((e) => {
        const key = [Math.floor(e.time_ms / 60000), e.who, e.action, e.study_uid].join('|');
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      history.replaceChildren(
        ...(visits.length === 0
          ? [h('li', { class: 'muted' }, t('no_history'))]
          : visits.map((e) =>
              h(
                'li',
                {},
                h('span', { class: 'muted small' }, dateTime(e.time_ms)),
                ' ',
                e.through === 'doctor-share' ? t('through_doctor') : t('through_hospital', { role: roleName(e.role) }),
                ' ',
                t(`action_${e.action}`),
                e.study_uid && examLabel(e.study_uid) ? h('span', { class: 'muted small' }, ` · ${examLabel(e.study_uid)}`) : null,
              ),
            )),
      );
    } catch (error) {
      fail(error);
    }
  }

  const expiry = h(
    'select',
    { id: 'share-expiry', 'data-testid': 'share-expiry' },
    kExpiries.map(([hours, key]) => h('option', { value: hours, selected: hours === 72 }, t(key))),
  );
  const askBirth = h('input', { type: 'checkbox', id: 'share-birth', 'data-testid': 'share-birth' });
  const make = h('button', { type: 'button', class: 'wide', 'data-testid': 'share-make' }, t('share_make'));
  make.addEventListener('click', async () => {
    make.disabled = true;
    message.textContent = '';
    message.className = '';
    try {
      let birth: string | null = null;
      if (askBirth.checked) {
        const first = await api.study(session.share.study_uids[0]);
        birth = first.patient_birth_date || null;
      }
      const issued = await api.makeDoctorShare(Number(expiry.value), birth);
      await showQr(issued, () => void refresh());
      void refresh();
    } catch (error) {
      fail(error);
    }
    make.disabled = false;
  });

  void refresh();
  return h(
    'div',
    { class: 'owner' },
    h(
      'section',
      { class: 'card', 'data-testid': 'share-section' },
      h('h2', {}, t('share_title')),
      h('p', { class: 'muted' }, t('share_intro')),
      h('label', { for: 'share-expiry' }, t('share_expiry')),
      expiry,
      h('label', { class: 'check', for: 'share-birth' }, askBirth, ' ', t('share_ask_birth')),
      make,
      message,
      h('h3', {}, t('my_shares')),
      list,
    ),
    h('section', { class: 'card', 'data-testid': 'history-section' }, h('h2', {}, t('history')), history),
  );
}
