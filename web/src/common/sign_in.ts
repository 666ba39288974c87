// The staff apps' sign-in (doctor viewer, admin console): login and
// password, then the authenticator code when the server asks for it (the
// problem type second-factor-required). The session is the HttpOnly
// cookie the login answer sets.
import { ApiError, postJson } from './api';
import { h } from './dom';
import { addMessages, t } from './i18n';

addMessages({
  si_login: { 'zh-CN': '账号', en: 'Login' },
  si_password: { 'zh-CN': '密码', en: 'Password' },
  si_totp: { 'zh-CN': '动态验证码（身份验证器）', en: 'Authenticator code' },
  si_totp_needed: { 'zh-CN': '请输入身份验证器上的 6 位动态验证码。', en: 'Enter the 6-digit code of your authenticator.' },
  si_sign_in: { 'zh-CN': '登录', en: 'Sign in' },
});

export interface SignInOptions {
  intro?: string; // a line above the fields
  notice?: string | null; // why the form is shown (session ended...)
  onSignedIn: () => void | Promise<void>;
  errorText?: (err: unknown) => string;
}

function defaultErrorText(err: unknown): string {
  return err instanceof ApiError ? err.message : String(err);
}

export function signInForm(options: SignInOptions): HTMLFormElement {
  const login = h('input', { name: 'login', autocomplete: 'username', required: true, 'data-testid': 'login' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'password' });
  const totp = h('input', { name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', 'data-testid': 'totp' });
  const totpLabel = h('label', { hidden: true }, h('span', {}, t('si_totp')), totp);
  const out = h('p', { role: 'status', 'aria-live': 'polite', 'data-testid': 'login-status' }, options.notice ?? '');
  const form = h(
    'form',
    { class: 'login', 'data-testid': 'login-form' },
    options.intro ? h('p', {}, options.intro) : null,
    h('label', {}, h('span', {}, t('si_login')), login),
    h('label', {}, h('span', {}, t('si_password')), password),
    totpLabel,
    h('button', { type: 'submit', 'data-testid': 'sign-in' }, t('si_sign_in')),
    out,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    out.className = '';
    out.textContent = '';
    try {
      const body: Record<string, string> = { login: login.value, password: password.value };
      if (totp.value) body.totp = totp.value;
      await postJson('/api/auth/login', body);
      password.value = '';
      await options.onSignedIn();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'second-factor-required') {
        totpLabel.hidden = false;
        totp.focus();
        out.textContent = t('si_totp_needed');
        return;
      }
      out.className = 'error';
      out.textContent = (options.errorText ?? defaultErrorText)(err);
    }
  });
  queueMicrotask(() => login.focus());
  return form;
}
