// The second factor page: asks what the share wants (birth date, last four
// digits, or a code sent to the patient), in one large field, and says
// clearly what went wrong: attempts left, locked (and for how long),
// expired, revoked.
import { ApiError } from '../common/api';
import { h } from '../common/dom';
import { t } from '../common/i18n';
import * as api from './share_api';
import { duration, showError } from './util';

export interface FactorNotice {
  kind: 'error' | 'info';
  text: string;
}

function stateMessage(status: api.ShareStatus): string | null {
  switch (status.state) {
    case 'expired':
      return t('expired');
    case 'revoked':
      return t('revoked');
    case 'not-yet':
      return t('not_yet');
    case 'locked':
      return t('locked', { time: duration(status.retry_after_s) });
    default:
      return null;
  }
}

// What a refused answer means for the patient.
function refusal(error: unknown): { text: string; final: boolean } {
  if (!(error instanceof ApiError)) return { text: showError(error), final: false };
  if (error.status === 429) {
    const wait = api.retryAfter(error) ?? 900;
    const ours = error.reason === 'share-locked';
    return { text: ours ? t('locked', { time: duration(wait) }) : t('too_many', { time: duration(wait) }), final: ours };
  }
  switch (error.reason) {
    case 'share-revoked':
      return { text: t('revoked'), final: true };
    case 'share-expired':
      return { text: t('expired'), final: true };
    case 'share-not-yet-valid':
      return { text: t('not_yet'), final: true };
    case 'share-unknown':
      return { text: t('unknown_link'), final: true };
    case 'wrong-factor': {
      const left = error.attemptsLeft;
      if (left !== null) {
        return { text: left === 1 ? t('wrong_factor_last') : t('wrong_factor', { n: left }), final: false };
      }
      break;
    }
  }
  return { text: showError(error), final: false };
}

export function renderFactorPage(
  token: string,
  status: api.ShareStatus,
  notice: FactorNotice | null,
  onOpened: (answer: api.OpenedShare) => void,
  remember: (notice: FactorNotice | null) => void,
): HTMLElement {
  const message = h('p', { role: 'alert', 'aria-live': 'assertive', 'data-testid': 'factor-message' });
  const say = (n: FactorNotice | null) => {
    remember(n);
    message.textContent = n?.text ?? '';
    message.className = n ? `notice ${n.kind}` : '';
  };
  say(notice);

  const closed = stateMessage(status);
  if (closed) {
    say({ kind: 'error', text: closed });
    return h('section', { class: 'factor' }, message);
  }

  const kinds: Record<string, { label: string; hint: string; pattern: string; max: number; auto: string }> = {
    'birth-date': {
      label: t('factor_birth_date'),
      hint: t('factor_birth_date_hint'),
      pattern: '[0-9]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2}',
      max: 10,
      auto: 'bday',
    },
    'phone-last4': { label: t('factor_phone_last4'), hint: t('factor_last4_hint'), pattern: '[0-9]{4}', max: 4, auto: 'off' },
    'id-last4': { label: t('factor_id_last4'), hint: t('factor_last4_hint'), pattern: '[0-9]{3}[0-9Xx]', max: 4, auto: 'off' },
    'one-time-code': { label: t('factor_code'), hint: t('factor_code_hint'), pattern: '[0-9]{6}', max: 6, auto: 'one-time-code' },
  };
  const kind = kinds[status.factor] ?? kinds['birth-date'];
  const input = h('input', {
    id: 'factor',
    name: 'factor',
    class: 'big-input',
    type: 'text',
    inputmode: status.factor === 'id-last4' ? 'text' : 'numeric',
    autocomplete: kind.auto,
    maxlength: kind.max,
    pattern: kind.pattern,
    required: true,
    'aria-describedby': 'factor-hint',
    'data-testid': 'factor-input',
  });
  const submit = h('button', { type: 'submit', class: 'wide', 'data-testid': 'factor-submit' }, t('open'));
  const form = h(
    'form',
    { class: 'factor', novalidate: true },
    h('p', {}, t('factor_intro')),
    h('label', { for: 'factor' }, kind.label),
    input,
    h('p', { id: 'factor-hint', class: 'muted small' }, kind.hint),
    message,
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (!value) {
      input.focus();
      return;
    }
    submit.disabled = true;
    try {
      onOpened(await api.openShare(token, value));
    } catch (error) {
      const { text, final } = refusal(error);
      say({ kind: 'error', text });
      input.value = '';
      if (final) {
        input.disabled = true;
        submit.disabled = true;
        return;
      }
      input.focus();
    }
    submit.disabled = false;
  });

  if (status.factor === 'one-time-code') {
    const send = h('button', { type: 'button', class: 'secondary wide', 'data-testid': 'send-code' }, t('send_code'));
    send.addEventListener('click', async () => {
      send.disabled = true;
      try {
        await api.sendCode(token);
        say({ kind: 'info', text: t('code_sent') });
        input.focus();
        // A new code at most every 30 s.
        window.setTimeout(() => (send.disabled = false), 30_000);
      } catch (error) {
        say({ kind: 'error', text: refusal(error).text });
        send.disabled = false;
      }
    });
    form.insertBefore(send, message);
  }
  queueMicrotask(() => input.focus());
  return form;
}
