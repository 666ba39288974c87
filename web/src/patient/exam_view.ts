// The exam(s) of an opened share: the patient's header, then for each exam
// the report first (text, and the PDF), the series thumbnails (tap one for
// the full-screen viewer) and the film package; then, for the patient's
// own share, doctor shares and who viewed the exam.
import { ApiError } from '../common/api';
import { h } from '../common/dom';
import { t } from '../common/i18n';
import { dateTime, dicomDate, personName, sex } from '../common/format';
import * as api from './share_api';
import type { Study } from './share_api';
import { renderSharing } from './sharing_view';
import { showError } from './util';

export interface ExamHooks {
  onSessionEnded: () => void;
  setTitle: (study: api.Study) => void;
}

// The viewer (Cornerstone3D and its codecs, most of the app's bytes) loads
// on its own: the factor page and the report do not wait for it on a slow
// link, and it is fetched in the background once the exam is on screen.
let viewer: Promise<typeof import('./image_view')> | null = null;
const viewerModule = () => (viewer ??= import('./image_view'));

// While the patient types the second factor the link is idle: the viewer's
// code comes in then, so that the first image after the tap waits only for
// its own pixels (bench/web.sh).
export function prefetchViewer(): void {
  void viewerModule();
}

const kNoImages = new Set(['SR', 'DOC', 'KO', 'PR', 'ECG', 'AU', 'REG', 'SEG', 'RTSTRUCT']);

// RFC 3339 from the server, in the phone's own time zone.
function signedAt(text: string): string {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : dateTime(ms);
}

function reportView(report: api.Report): HTMLElement {
  const v = report.versions[report.versions.length - 1];
  const statusKey = `status_${v.status}`;
  return h(
    'article',
    { class: 'report', 'data-testid': 'report' },
    h(
      'h3',
      {},
      t('report'),
      ' ',
      h('span', { class: `badge ${v.status}` }, t(statusKey)),
    ),
    v.sections.map((s) =>
      h('section', {}, s.title ? h('h4', {}, s.title) : null, h('p', { class: 'pre' }, s.text)),
    ),
    v.conclusion
      ? h('section', { class: 'conclusion' }, h('h4', {}, t('conclusion')), h('p', { class: 'pre' }, v.conclusion))
      : null,
    v.signer || v.signed_at
      ? h('p', { class: 'muted small' }, t('signed_by', { name: v.signer, time: signedAt(v.signed_at) }))
      : null,
    h(
      'a',
      {
        class: 'button secondary',
        href: api.pdfUrl(report, v),
        target: '_blank',
        rel: 'noopener',
        'data-testid': 'report-pdf',
      },
      t('report_pdf'),
    ),
  );
}

function seriesGrid(study: api.Study): HTMLElement | null {
  const series = study.series
    .filter((s) => !kNoImages.has(s.modality) && s.num_instances > 0)
    .sort((a, b) => (a.series_number ?? 0) - (b.series_number ?? 0));
  if (series.length === 0) return null;
  return h(
    'section',
    { class: 'images' },
    h('h3', {}, t('images')),
    h(
      'ul',
      { class: 'series-grid' },
      series.map((s, i) => {
        const button = h(
          'button',
          {
            type: 'button',
            class: 'series',
            'aria-label': t('open_series', { n: s.series_number ?? i + 1 }),
            'data-testid': 'series',
            'data-series': s.series_instance_uid,
          },
          h('img', {
            src: api.thumbnailUrl(study.study_instance_uid, s.series_instance_uid),
            alt: '',
            loading: 'lazy',
            width: 96,
            height: 96,
          }),
          h(
            'span',
            { class: 'series-label' },
            `${s.modality} ${s.series_description || ''}`.trim(),
            h('br', {}),
            h('span', { class: 'muted' }, t('series_images', { n: s.num_instances })),
          ),
        );
        button.addEventListener('click', () => void viewerModule().then((m) => m.openImages(study, s)));
        return h('li', {}, button);
      }),
    ),
  );
}

// "2026年11月28日 CT": how the patient's lists name an exam.
export function examLabel(study: Study): string {
  const modalities = Array.isArray(study.modalities) ? study.modalities.join(' ') : study.modalities;
  return `${dicomDate(study.study_date)} ${modalities}`.trim();
}

async function examView(uid: string, hooks: ExamHooks, first: boolean): Promise<[HTMLElement, Study]> {
  const [study, reports, films] = await Promise.all([
    api.study(uid),
    api.reports(uid).catch(() => [] as api.Report[]),
    api.films(uid).catch(() => [] as api.Film[]),
  ]);
  if (first) hooks.setTitle(study);
  const modalities = Array.isArray(study.modalities) ? study.modalities.join(' ') : study.modalities;
  const film = films[films.length - 1];
  const view = h(
    'section',
    { class: 'exam card', 'data-testid': 'exam', 'data-study': uid },
    h(
      'div',
      { class: 'patient' },
      h('p', { class: 'patient-name', 'data-testid': 'patient-name' }, personName(study.patient_name)),
      h(
        'p',
        { class: 'muted' },
        [sex(study.patient_sex), study.patient_birth_date ? `${t('born')} ${dicomDate(study.patient_birth_date)}` : '']
          .filter(Boolean)
          .join('　'),
      ),
    ),
    h(
      'h2',
      {},
      `${dicomDate(study.study_date)}　${modalities}`,
      study.study_description ? h('span', { class: 'muted' }, `　${study.study_description}`) : null,
    ),
    study.accession_number ? h('p', { class: 'muted small' }, `${t('accession')} ${study.accession_number}`) : null,
    reports.length > 0 ? reports.map(reportView) : h('p', { class: 'muted' }, t('no_report')),
    seriesGrid(study),
    film
      ? h(
          'p',
          {},
          h(
            'a',
            { class: 'button secondary', href: api.packageUrl(film), download: `film-${film.id}.zip`, 'data-testid': 'download' },
            t('download'),
          ),
          h('br', {}),
          h('span', { class: 'muted small' }, t('download_hint')),
        )
      : null,
  );
  return [view, study];
}

function viewerLink(uid: string): HTMLElement {
  return h('p', {}, h('a', { class: 'button secondary', href: `/viewer?study=${encodeURIComponent(uid)}`, 'data-testid': 'open-viewer' }, t('open_viewer')));
}

export async function renderExams(
  container: HTMLElement,
  session: api.OpenedShare,
  hooks: ExamHooks,
): Promise<void> {
  try {
    const uids = session.share.study_uids;
    const exams = await Promise.all(uids.map((uid, i) => examView(uid, hooks, i === 0)));
    container.replaceChildren(...exams.map(([view]) => view));
    // A doctor opening a doctor share on a computer: the same exam in the
    // desktop viewer (/viewer), under this share session.
    if (!session.owner) for (const [view, study] of exams) view.append(viewerLink(study.study_instance_uid));
    const labels = new Map(exams.map(([, study]) => [study.study_instance_uid, examLabel(study)]));
    if (session.owner) container.append(renderSharing(session, hooks, (uid) => labels.get(uid) ?? ''));
    void viewerModule();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      hooks.onSessionEnded();
      return;
    }
    container.replaceChildren(h('p', { class: 'notice error', role: 'alert' }, showError(error)));
  }
}
