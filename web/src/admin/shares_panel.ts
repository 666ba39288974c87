// Shares of the hospital: find one by exam, film or state, and revoke it.
import { ApiError } from '../common/api';
import { h } from '../common/dom';
import { dateTime } from '../common/format';
import { t } from '../common/i18n';
import { adminDelete, adminGet, query } from './session';
import { field, status, table } from './table';

interface Share {
  id: string;
  film_id: string;
  scope: string;
  study_uids: string[];
  factor: string;
  created_by: string;
  created_ms: number;
  expires_ms: number;
  revoked_ms: number | null;
  first_opened_ms: number | null;
  failed_attempts: number;
  parent: string | null;
}

function stateOf(s: Share): string {
  if (s.revoked_ms) return t('revoked');
  return s.expires_ms <= Date.now() ? t('expired') : t('live');
}

export function sharesPanel(): HTMLElement {
  const study = h('input', { name: 'study', inputmode: 'decimal', 'data-testid': 'share-study' });
  const film = h('input', { name: 'film', 'data-testid': 'share-film' });
  const state = h(
    'select',
    { name: 'state', 'data-testid': 'share-state' },
    ['', 'live', 'revoked', 'expired'].map((s) => h('option', { value: s }, s ? t(s) : t('any'))),
  );
  const out = status();
  const results = h('div', {});
  const search = async () => {
    out.textContent = t('loading');
    out.className = '';
    try {
      const { items } = await adminGet<{ items: Share[] }>(
        '/api/shares' + query({ study: study.value.trim(), film: film.value.trim(), state: state.value, limit: 100 }),
      );
      out.textContent = '';
      results.replaceChildren(
        table(
          [t('film'), t('kind'), t('studies'), t('factor'), t('created'), t('expires'), t('opened'), t('failures'), t('state'), ''],
          items.map((s) => [
            s.film_id,
            s.parent ? t('doctor_share') : t('patient_share'),
            s.study_uids.join(' '),
            s.factor,
            dateTime(s.created_ms),
            dateTime(s.expires_ms),
            s.first_opened_ms ? dateTime(s.first_opened_ms) : '—',
            s.failed_attempts,
            stateOf(s),
            s.revoked_ms
              ? null
              : h(
                  'button',
                  {
                    class: 'danger',
                    type: 'button',
                    'data-testid': `revoke-${s.id}`,
                    onclick: async () => {
                      if (!window.confirm(t('revoke_confirm'))) return;
                      try {
                        await adminDelete(`/api/shares/${encodeURIComponent(s.id)}`);
                        await search();
                        out.className = 'ok';
                        out.textContent = t('revoked_ok', { id: s.id });
                      } catch (err) {
                        out.className = 'error';
                        out.textContent = err instanceof ApiError ? err.message : String(err);
                      }
                    },
                  },
                  t('revoke'),
                ),
          ]),
          'shares',
        ),
      );
    } catch (err) {
      out.className = 'error';
      out.textContent = err instanceof ApiError ? err.message : String(err);
    }
  };
  const form = h(
    'form',
    { class: 'inline', 'data-testid': 'share-search' },
    field(t('study_uid'), study),
    field(t('film'), film),
    field(t('share_state'), state),
    h('button', { type: 'submit' }, t('search')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void search();
  });
  void search();
  return h('section', {}, form, out, results);
}
