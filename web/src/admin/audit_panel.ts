// The audit trail of the hospital: who did what to which exam, and when.
import { ApiError } from '../common/api';
import { h } from '../common/dom';
import { dateTime } from '../common/format';
import { t } from '../common/i18n';
import { adminGet, query } from './session';
import { field, status, table } from './table';

interface AuditEvent {
  time_ms: number;
  actor: string;
  role: string;
  action: string;
  outcome: string;
  route: string;
  study_uid: string;
  patient_id: string;
  source: string;
  flagged: boolean;
}

const kActions = [
  'query', 'view', 'download', 'store', 'delete', 'share', 'print', 'login', 'login-failed',
  'logout', 'break-glass', 'token-create', 'token-revoke', 'account-create', 'account-change', 'config-change',
  'access-denied',
];
const kPage = 100;

// <input type=date> gives 2026-11-29; the API takes 20261129.
const day = (value: string) => value.replace(/-/g, '');

export function auditPanel(): HTMLElement {
  const action = h('select', { name: 'action', 'data-testid': 'audit-action' },
    h('option', { value: '' }, t('any')), kActions.map((a) => h('option', { value: a }, a)));
  const outcome = h('select', { name: 'outcome', 'data-testid': 'audit-outcome' },
    ['', 'success', 'denied', 'failure'].map((o) => h('option', { value: o }, o || t('any'))));
  const actor = h('input', { name: 'actor', autocomplete: 'off', 'data-testid': 'audit-actor' });
  const study = h('input', { name: 'study', 'data-testid': 'audit-study' });
  const patient = h('input', { name: 'patient_id', 'data-testid': 'audit-patient' });
  const from = h('input', { name: 'from', type: 'date', 'data-testid': 'audit-from' });
  const to = h('input', { name: 'to', type: 'date', 'data-testid': 'audit-to' });
  const out = status();
  const results = h('div', {});
  let offset = 0;
  let rows: AuditEvent[] = [];
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('more'));
  // Only the latest search may fill the table (see shares_panel.ts).
  let latest = 0;
  const search = async (append: boolean) => {
    const mine = ++latest;
    offset = append ? offset + kPage : 0;
    out.className = '';
    out.textContent = t('loading');
    try {
      const { events } = await adminGet<{ events: AuditEvent[] }>(
        '/api/audit' +
          query({
            action: action.value, outcome: outcome.value, actor: actor.value.trim(),
            study: study.value.trim(), patient_id: patient.value.trim(),
            from: day(from.value), to: day(to.value), limit: kPage, offset,
          }),
      );
      if (mine !== latest) return;
      rows = append ? rows.concat(events) : events;
      out.textContent = '';
      more.hidden = events.length < kPage;
      results.replaceChildren(
        table(
          [t('time'), t('actor'), t('role'), t('action'), t('outcome'), t('route'), t('study_uid'), t('patient_id'), t('source'), t('flagged')],
          rows.map((e) => [dateTime(e.time_ms), e.actor, e.role, e.action, e.outcome, e.route, e.study_uid, e.patient_id, e.source, e.flagged ? '⚠' : '']),
          'audit',
        ),
      );
    } catch (err) {
      if (mine !== latest) return;
      out.className = 'error';
      out.textContent = err instanceof ApiError ? err.message : String(err);
    }
  };
  more.addEventListener('click', () => void search(true));
  const form = h('form', { class: 'inline', 'data-testid': 'audit-search' },
    field(t('action'), action), field(t('outcome'), outcome), field(t('actor'), actor),
    field(t('study_uid'), study), field(t('patient_id'), patient), field(t('from'), from), field(t('to'), to),
    h('button', { type: 'submit' }, t('search')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void search(false);
  });
  void search(false);
  return h('section', {}, form, out, results, more);
}
