// The self-service kiosk at /kiosk: a touch screen in the hospital's hall
// that prints a patient's reports and film sheets. A member of staff signs
// the device in once (a kiosk account); then each patient scans the QR code
// of their slip (a keyboard-wedge scanner types the share URL and Enter
// into the focused, hidden scan field), types the code printed under it, or
// types the visit number (then every report and film of that visit's exams
// is listed), answers the hospital's second factor, and prints. After `idle` seconds
// without a touch (default 60; /kiosk?idle=90) the patient's session ends
// and the start screen returns; /kiosk?print=0 loads the PDFs without
// calling print(). The server side is src/http/kiosk_routes.cpp.
import '../common/style.css';
import './kiosk.css';
import './messages';
import { ApiError, del, getJson, postJson, request } from '../common/api';
import { h, mount } from '../common/dom';
import { dateTime, dicomDate, personName, sex } from '../common/format';
import { lang, t } from '../common/i18n';
import { langSwitch } from '../common/lang_switch';

interface KioskInfo {
  login: string;
  tenant: string;
  hospital: string;
  factor: 'birth-date' | 'phone-last4' | 'id-last4' | 'one-time-code' | 'none';
}
interface Printed {
  first_ms: number;
  last_ms: number;
  count: number;
}
interface ReportItem {
  id: string;
  kind: string;
  version: number;
  status: string;
  signed_at_ms: number;
  printed: Printed | null;
}
interface Exam {
  study_uid: string;
  study_date: string;
  modalities: string[];
  description: string;
  accession: string;
  film: { id: string; issued_ms: number; printed: Printed | null } | null;
  reports: ReportItem[];
}
interface Documents {
  patient: { name: string; sex: string; birth_date: string } | null;
  exams: Exam[];
}

type Screen = 'loading' | 'device' | 'start' | 'manual' | 'visit' | 'factor' | 'docs';
type Message = { kind: 'error' | 'ok'; text: string } | null;

const params = new URLSearchParams(location.search);
const idleSeconds = Math.max(5, Number(params.get('idle') ?? '60') || 60);
// ?print=0: load each PDF and offer it for download, but do not call the
// browser's print() (a desk without a printer; headless Chromium, whose
// renderer crashes on print() of a PDF frame).
const callPrint = params.get('print') !== '0';

const state = {
  screen: 'loading' as Screen,
  info: null as KioskInfo | null,
  code: '',
  visit: '', // the visit number typed instead of a slip
  factor: '',
  docs: null as Documents | null,
  message: null as Message,
  busy: false,
  printing: '' as string,
  downloads: new Map<string, string>(), // item key -> PDF URL, once printed
};

const root = document.getElementById('app')!;
let idleTimer: number | undefined;
let idleLeft = idleSeconds;

// The share token a scan or a typed code names, as the server reads it
// (kiosk_routes.cpp TokenOfCode); empty when it is not a slip's.
export function tokenOfCode(code: string): string {
  let c = code.trim();
  c = c.split(/[?#]/)[0];
  const at = c.lastIndexOf('/s/');
  if (at >= 0) c = c.slice(at + 3);
  c = c.replace(/\/+$/, '');
  return /^[A-Za-z0-9_-]{22}$/.test(c) ? c : '';
}

function patientActive(): boolean {
  return (
    state.screen === 'manual' || state.screen === 'visit' || state.screen === 'factor' || state.screen === 'docs'
  );
}

function touch(): void {
  idleLeft = idleSeconds;
  if (idleTimer === undefined && patientActive()) {
    idleTimer = window.setInterval(tick, 1000);
  }
}

function stopIdle(): void {
  if (idleTimer !== undefined) window.clearInterval(idleTimer);
  idleTimer = undefined;
}

function tick(): void {
  if (!patientActive()) {
    stopIdle();
    return;
  }
  // A print or an answer being checked is not idleness.
  if (state.printing || state.busy) idleLeft = idleSeconds;
  else idleLeft -= 1;
  const note = document.querySelector('[data-testid="idle"]');
  if (note) note.textContent = t('k_idle', { s: idleLeft });
  if (idleLeft <= 0) void endPatient();
}

async function endPatient(message: Message = null): Promise<void> {
  stopIdle();
  const hadPatient = state.screen === 'docs';
  state.code = '';
  state.visit = '';
  state.factor = '';
  state.docs = null;
  state.downloads.clear();
  state.message = message;
  state.screen = 'start';
  render();
  if (hadPatient) {
    try {
      await del('/api/kiosk/session');
    } catch {
      // the cookie expires on its own; the start screen is what matters
    }
  }
}

function go(screen: Screen, message: Message = null): void {
  if (screen === 'start') {
    // Back at the start, nothing of this patient stays for the next one.
    state.code = '';
    state.visit = '';
    state.factor = '';
  }
  state.screen = screen;
  state.message = message;
  render();
  if (patientActive()) touch();
  else stopIdle();
}

async function loadInfo(): Promise<void> {
  try {
    state.info = await getJson<KioskInfo>('/api/kiosk');
    go('start');
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) {
      go('device', { kind: 'error', text: t('k_not_kiosk') });
    } else {
      go('device');
    }
  }
}

async function signIn(form: HTMLFormElement): Promise<void> {
  const data = new FormData(form);
  const body: Record<string, string> = {
    login: String(data.get('login') ?? ''),
    password: String(data.get('password') ?? ''),
  };
  const totp = String(data.get('totp') ?? '');
  if (totp) body.totp = totp;
  try {
    await postJson('/api/auth/login', body);
    await loadInfo();
  } catch (e) {
    go('device', { kind: 'error', text: e instanceof ApiError ? e.detail || e.title : String(e) });
  }
}

function scanned(raw: string): void {
  if (!tokenOfCode(raw)) {
    go('start', { kind: 'error', text: t('k_bad_code') });
    return;
  }
  state.code = raw.trim();
  state.visit = '';
  state.factor = '';
  go('factor');
}

function visitEntered(raw: string): void {
  const visit = raw.trim();
  if (!visit) return;
  state.visit = visit;
  state.code = '';
  state.factor = '';
  go('factor');
}

// The screen and message of each refusal reason (ApiError.reason).
const SLIP_REASONS = new Map<string, [Screen, string]>([
  ['visit-no-exam', ['visit', 'k_visit_no_exam']],
  ['visit-unknown', ['visit', 'k_visit_unknown']],
  ['other-hospital', ['start', 'k_other_hospital']],
  ['doctor-link', ['start', 'k_doctor_link']],
  ['not-a-slip', ['start', 'k_bad_code']],
  ['share-revoked', ['start', 'k_revoked']],
  ['share-expired', ['start', 'k_expired']],
  ['share-not-yet-valid', ['start', 'k_not_yet']],
  ['share-unknown', ['start', 'k_unknown']],
]);

// What an answer from POST /api/kiosk/sessions means for the patient.
function slipProblem(e: ApiError): { screen: Screen; text: string } {
  if (e.status === 429) {
    const min = Math.max(1, Math.ceil((e.retryAfterS ?? 900) / 60));
    return { screen: 'start', text: t('k_locked', { min }) };
  }
  if (e.reason === 'wrong-factor') {
    return e.attemptsLeft !== null
      ? { screen: 'factor', text: t('k_wrong_factor', { n: e.attemptsLeft }) }
      : { screen: 'factor', text: t('k_wrong_factor_plain') };
  }
  const known = SLIP_REASONS.get(e.reason);
  if (known) return { screen: known[0], text: t(known[1]) };
  if (e.status === 401) return { screen: 'device', text: e.detail || e.title }; // the kiosk itself is signed out
  return { screen: 'start', text: t('k_error', { detail: e.detail || e.title }) };
}

async function submitFactor(): Promise<void> {
  if (state.busy) return;
  state.busy = true;
  let answer: Documents | null = null;
  let failure: unknown = null;
  try {
    answer = await postJson<Documents>(
      '/api/kiosk/sessions',
      state.visit ? { visit: state.visit, factor: state.factor } : { code: state.code, factor: state.factor },
    );
  } catch (e) {
    failure = e;
  }
  state.busy = false;
  state.factor = '';
  if (answer) {
    state.docs = answer;
    go('docs');
    return;
  }
  if (!(failure instanceof ApiError)) {
    go('start', { kind: 'error', text: t('k_error', { detail: String(failure) }) });
    return;
  }
  const { screen, text } = slipProblem(failure);
  if (screen === 'device') state.info = null;
  go(screen, { kind: 'error', text });
}

async function sendCode(): Promise<void> {
  try {
    if (state.visit) await postJson('/api/kiosk/visit-code', { visit: state.visit });
    else await postJson('/api/share-sessions/code', { token: tokenOfCode(state.code) });
    go('factor', { kind: 'ok', text: t('k_code_sent') });
  } catch (e) {
    go('factor', { kind: 'error', text: e instanceof ApiError ? e.detail : String(e) });
  }
}

async function refreshDocs(): Promise<void> {
  try {
    state.docs = await getJson<Documents>('/api/kiosk/session');
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      await endPatient();
      return;
    }
    throw e;
  }
}

// Prints a PDF through the browser's own print path: the PDF is fetched
// first (so that a failure is shown, not printed), then loaded in a hidden
// frame whose print() the kiosk's browser sends to its printer (Chromium
// in kiosk mode with --kiosk-printing prints without a dialog). Then the
// print is recorded on the server (audited) and the list refreshed.
async function print(key: string, pdfUrl: string, markUrl: string): Promise<void> {
  if (state.printing) return;
  state.printing = key;
  render();
  try {
    const response = await request(pdfUrl, { headers: { Accept: 'application/pdf' } });
    await response.arrayBuffer();
    // One print frame at a time: the previous one has long been printed.
    for (const old of document.querySelectorAll('iframe.k-print-frame')) old.remove();
    await new Promise<void>((resolve) => {
      const frame = h('iframe', { class: 'k-print-frame', title: 'print', src: pdfUrl });
      const done = () => {
        try {
          if (callPrint) {
            frame.contentWindow?.focus();
            frame.contentWindow?.print();
          }
        } catch {
          // the download link below is the fallback
        }
        resolve();
      };
      frame.addEventListener('load', done, { once: true });
      window.setTimeout(resolve, 5000); // a viewer that never fires load
      document.body.append(frame);
    });
    await postJson(markUrl, {});
    state.downloads.set(key, pdfUrl);
    await refreshDocs();
    state.message = null;
  } catch (e) {
    if (e instanceof ApiError && e.reason === 'kiosk-no-patient') {
      await endPatient();
      return;
    }
    state.message = {
      kind: 'error',
      text: t('k_error', { detail: e instanceof ApiError ? e.detail || e.title : String(e) }),
    };
  } finally {
    state.printing = '';
    if (state.screen === 'docs') render();
  }
}

function messageView(): HTMLElement | null {
  if (!state.message) return null;
  return h(
    'p',
    {
      class: `k-message ${state.message.kind}`,
      role: state.message.kind === 'error' ? 'alert' : 'status',
      'data-testid': 'message',
    },
    state.message.text,
  );
}

function deviceView(): HTMLElement {
  const form = h(
    'form',
    {
      class: 'k-card',
      onsubmit: ((e: Event) => {
        e.preventDefault();
        void signIn(e.target as HTMLFormElement);
      }) as EventListener,
    },
    h('p', { class: 'k-big' }, t('k_device_title')),
    h('p', { class: 'k-help' }, t('k_device_intro')),
    messageView(),
    h('label', {}, t('k_login'), h('input', { name: 'login', class: 'k-field', autocomplete: 'username', required: true, 'data-testid': 'device-login' })),
    h('label', {}, t('k_password'), h('input', { name: 'password', type: 'password', class: 'k-field', autocomplete: 'current-password', required: true, 'data-testid': 'device-password' })),
    h('label', {}, t('k_totp'), h('input', { name: 'totp', inputmode: 'numeric', class: 'k-field', autocomplete: 'one-time-code', 'data-testid': 'device-totp' })),
    h('button', { type: 'submit', 'data-testid': 'device-submit' }, t('k_sign_in')),
  );
  return form;
}

function startView(): HTMLElement[] {
  const input = h('input', {
    class: 'k-scan-input',
    'aria-label': t('k_scan_input'),
    autocomplete: 'off',
    'data-testid': 'scan-input',
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      const value = input.value;
      input.value = '';
      scanned(value);
    }
  });
  // Whatever is touched, the scanner's keystrokes keep landing here.
  input.addEventListener('blur', () => {
    window.setTimeout(() => {
      if (state.screen === 'start' && document.activeElement === document.body) input.focus();
    }, 0);
  });
  window.setTimeout(() => input.focus(), 0);
  return [
    h(
      'section',
      { class: 'k-card' },
      h('p', { class: 'k-big' }, t('k_scan_title')),
      messageView(),
      h('div', { class: 'k-scan-box', 'aria-hidden': 'true' }, '▣ QR'),
      h('p', { class: 'k-help' }, t('k_scan_help')),
      input,
    ),
    h(
      'div',
      { class: 'k-row' },
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'manual', onclick: () => go('manual') }, t('k_manual')),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'visit', onclick: () => go('visit') }, t('k_visit')),
    ),
  ];
}

function manualView(): HTMLElement {
  const input = h('input', {
    class: 'k-field',
    autocomplete: 'off',
    autocapitalize: 'off',
    spellcheck: 'false',
    'data-testid': 'manual-input',
  });
  window.setTimeout(() => input.focus(), 0);
  return h(
    'form',
    {
      class: 'k-card',
      onsubmit: ((e: Event) => {
        e.preventDefault();
        scanned(input.value);
      }) as EventListener,
    },
    h('label', { class: 'k-big' }, t('k_manual_label'), input),
    messageView(),
    h(
      'div',
      { class: 'k-row' },
      h('button', { type: 'button', class: 'secondary', onclick: () => void endPatient() }, t('k_back')),
      h('button', { type: 'submit', 'data-testid': 'manual-submit' }, t('k_next')),
    ),
  );
}

// Visit numbers are digits, sometimes with a letter prefix (MZ, ZY): the
// keypad types digits, a keyboard (or a card reader that types) the rest.
function visitView(): HTMLElement {
  const input = h('input', {
    class: 'k-field',
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
    value: state.visit,
    'aria-label': t('k_visit_label'),
    'data-testid': 'visit-input',
  });
  input.addEventListener('input', () => {
    state.visit = input.value;
  });
  window.setTimeout(() => input.focus(), 0);
  const key = (label: string, action: () => void, testid = '') =>
    h('button', { type: 'button', 'data-testid': testid || undefined, onclick: () => { action(); input.value = state.visit; input.focus(); } }, label);
  const digit = (d: string) => key(d, () => (state.visit += d), `visit-key-${d}`);
  return h(
    'form',
    {
      class: 'k-card',
      onsubmit: ((e: Event) => {
        e.preventDefault();
        visitEntered(input.value);
      }) as EventListener,
    },
    h('label', { class: 'k-big' }, t('k_visit_label'), input),
    messageView(),
    h(
      'div',
      { class: 'k-keypad' },
      ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map(digit),
      key(t('k_clear'), () => (state.visit = '')),
      digit('0'),
      key(t('k_delete'), () => (state.visit = state.visit.slice(0, -1))),
    ),
    h(
      'div',
      { class: 'k-row' },
      h('button', { type: 'button', class: 'secondary', onclick: () => void endPatient() }, t('k_back')),
      h('button', { type: 'submit', 'data-testid': 'visit-submit' }, t('k_next')),
    ),
  );
}

function factorLabel(): string {
  switch (state.info?.factor) {
    case 'phone-last4':
      return t('k_factor_phone');
    case 'id-last4':
      return t('k_factor_id');
    case 'one-time-code':
      return t('k_factor_code');
    default:
      return t('k_factor_birth');
  }
}

function factorView(): HTMLElement {
  const input = h('input', {
    class: 'k-field',
    inputmode: 'numeric',
    autocomplete: 'off',
    value: state.factor,
    'aria-label': factorLabel(),
    'data-testid': 'factor-input',
  });
  input.addEventListener('input', () => {
    state.factor = input.value;
  });
  window.setTimeout(() => input.focus(), 0);
  const key = (label: string, action: () => void, cls = '', testid = '') =>
    h('button', { type: 'button', class: cls, 'data-testid': testid || undefined, onclick: () => { action(); input.value = state.factor; input.focus(); } }, label);
  const digit = (d: string) => key(d, () => (state.factor += d), '', `key-${d}`);
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map(digit);
  const last =
    state.info?.factor === 'id-last4' ? digit('X') : key(t('k_clear'), () => (state.factor = ''));
  return h(
    'form',
    {
      class: 'k-card',
      onsubmit: ((e: Event) => {
        e.preventDefault();
        void submitFactor();
      }) as EventListener,
    },
    h('label', { class: 'k-big' }, factorLabel(), input),
    messageView(),
    h(
      'div',
      { class: 'k-keypad' },
      keys,
      last,
      digit('0'),
      key(t('k_delete'), () => (state.factor = state.factor.slice(0, -1))),
    ),
    state.info?.factor === 'one-time-code'
      ? h('button', { type: 'button', class: 'secondary', onclick: () => void sendCode() }, t('k_send_code'))
      : null,
    h(
      'div',
      { class: 'k-row' },
      h('button', { type: 'button', class: 'secondary', onclick: () => void endPatient() }, t('k_back')),
      h('button', { type: 'submit', class: 'k-ok', 'data-testid': 'factor-submit', disabled: state.busy }, t('k_confirm')),
    ),
  );
}

function printedView(printed: Printed | null): HTMLElement {
  return printed
    ? h('span', { class: 'k-status printed', 'data-testid': 'printed-status', 'data-printed': 'yes' },
        t('k_printed', { count: printed.count, first: dateTime(printed.first_ms) }))
    : h('span', { class: 'k-status not-printed', 'data-testid': 'printed-status', 'data-printed': 'no' },
        t('k_not_printed'));
}

function docRow(key: string, kind: string, title: string, sub: string, printed: Printed | null, pdfUrl: string, markUrl: string): HTMLElement {
  const download = state.downloads.get(key);
  return h(
    'div',
    { class: 'k-doc', 'data-testid': 'doc-row', 'data-kind': kind, 'data-key': key },
    h(
      'div',
      {},
      h('div', { class: 'k-doc-title' }, title),
      h('div', { class: 'muted' }, sub),
      printedView(printed),
      download ? h('div', {}, h('a', { class: 'k-download', href: download, download: `${key}.pdf` }, t('k_download'))) : null,
    ),
    h(
      'button',
      {
        type: 'button',
        'data-testid': 'print',
        disabled: state.printing !== '',
        onclick: () => void print(key, pdfUrl, markUrl),
      },
      state.printing === key ? t('k_printing') : printed ? t('k_print_again') : t('k_print'),
    ),
  );
}

function docsView(): (HTMLElement | HTMLElement[] | null)[] {
  const docs = state.docs!;
  const name = personName(docs.patient?.name) || '';
  const exams = docs.exams.map((exam) => {
    const rows: HTMLElement[] = [];
    for (const r of exam.reports) {
      const base = `/api/kiosk/reports/${encodeURIComponent(r.id)}/versions/${r.version}`;
      rows.push(
        docRow(`report-${r.id}-v${r.version}`, 'report', t(`k_report_${r.kind}`),
          t(`k_status_${r.status}`), r.printed, `${base}/pdf`, `${base}/printed`),
      );
    }
    if (exam.film) {
      const base = `/api/kiosk/films/${encodeURIComponent(exam.film.id)}`;
      rows.push(
        docRow(`film-${exam.film.id}`, 'film-sheet', t('k_film_sheet'), exam.film.id,
          exam.film.printed, `${base}/sheet`, `${base}/printed`),
      );
    }
    return h(
      'section',
      { class: 'k-card', 'data-testid': 'exam' },
      h('div', { class: 'k-exam-head' },
        [dicomDate(exam.study_date), exam.modalities.join('/'), exam.description].filter(Boolean).join(' · ')),
      rows.length ? rows : h('p', {}, t('k_no_docs')),
    );
  });
  const who = [sex(docs.patient?.sex), dicomDate(docs.patient?.birth_date)].filter(Boolean).join(' · ');
  return [
    h('p', { class: 'k-big', 'data-testid': 'patient-name' }, t('k_docs_title', { name })),
    h('p', { class: 'k-help' }, who),
    h('p', { class: 'k-help', 'data-testid': 'docs-intro' }, state.visit ? t('k_docs_intro_visit', { visit: state.visit }) : t('k_docs_intro')),
    state.visit ? h('p', { class: 'k-help', 'data-testid': 'visit-note' }, t('k_visit_note')) : null,
    messageView(),
    exams.length ? exams : h('p', { class: 'k-card' }, t('k_no_docs')),
    h('div', { class: 'k-row' },
      h('button', { type: 'button', class: 'danger', 'data-testid': 'finish', onclick: () => void endPatient() }, t('k_finish'))),
  ];
}

function render(): void {
  document.documentElement.lang = lang();
  const title = state.info?.hospital ? `${state.info.hospital} · ${t('k_title')}` : t('k_title');
  let body: (HTMLElement | HTMLElement[] | null)[] = [];
  switch (state.screen) {
    case 'loading':
      body = [];
      break;
    case 'device':
      body = [deviceView()];
      break;
    case 'start':
      body = startView();
      break;
    case 'manual':
      body = [manualView()];
      break;
    case 'visit':
      body = [visitView()];
      break;
    case 'factor':
      body = [factorView()];
      break;
    case 'docs':
      body = docsView();
      break;
  }
  mount(
    root,
    h('header', { class: 'bar' }, h('h1', { 'data-testid': 'title' }, title), langSwitch(render)),
    h('main', { 'data-screen': state.screen }, body.flat(),
      patientActive() ? h('p', { class: 'k-idle', 'data-testid': 'idle' }, t('k_idle', { s: idleLeft })) : null),
  );
}

for (const type of ['pointerdown', 'keydown', 'touchstart']) {
  window.addEventListener(type, touch, { passive: true });
}
// Any click outside a control on the start screen gives the focus back to
// the scan field.
window.addEventListener('click', () => {
  if (state.screen === 'start' && document.activeElement === document.body) {
    (document.querySelector('[data-testid="scan-input"]') as HTMLInputElement | null)?.focus();
  }
});

render();
void loadInfo();
