// DICOM nodes (AE titles and peers) of the hospital: those of the
// configuration file, read-only, and those registered here, which an admin
// adds, edits, removes and checks with a C-ECHO. A change applies to the
// DICOM listener at once, without a restart.
import { ApiError } from '../common/api';
import { h } from '../common/dom';
import { dateTime } from '../common/format';
import { t } from '../common/i18n';
import { adminDelete, adminGet, adminPost, adminPut } from './session';
import { field, status, table } from './table';

export interface DicomNode {
  ae_title: string;
  tenant: string | null;
  host: string | null;
  port: number | null;
  description: string;
  source: 'config' | 'registry';
  editable: boolean;
  changed_by: string | null;
  changed_ms: number | null;
}

interface Echo {
  ae_title: string;
  ok: boolean;
  ms?: number;
  error?: string;
}

const kAeTitle = /^[\x20-\x5b\x5d-\x7e]{1,16}$/;  // printable ASCII but '\'

function message(err: unknown): string {
  return err instanceof ApiError ? err.message : String(err);
}

export async function nodesPanel(): Promise<HTMLElement> {
  const out = status();
  const listing = h('div', {});
  const ae = h('input', { name: 'ae_title', required: true, maxlength: 16, autocomplete: 'off', 'data-testid': 'node-ae' });
  const host = h('input', { name: 'host', autocomplete: 'off', placeholder: '10.0.0.5', 'data-testid': 'node-host' });
  const port = h('input', { name: 'port', type: 'number', min: 1, max: 65535, placeholder: '104', 'data-testid': 'node-port' });
  const description = h('input', { name: 'description', maxlength: 200, autocomplete: 'off', 'data-testid': 'node-description' });
  const heading = h('h2', {}, t('node_add'));
  const cancel = h('button', { type: 'button', class: 'secondary', hidden: true, 'data-testid': 'node-cancel' }, t('cancel'));

  const say = (ok: boolean, text: string) => {
    out.className = ok ? 'ok' : 'error';
    out.textContent = text;
  };
  const resetForm = () => {
    for (const input of [ae, host, port, description]) input.value = '';
    ae.readOnly = false;
    heading.textContent = t('node_add');
    cancel.hidden = true;
  };
  const edit = (n: DicomNode) => {
    ae.value = n.ae_title;
    ae.readOnly = true;  // the AE title is the node's name: remove and add to rename
    host.value = n.host ?? '';
    port.value = n.port ? String(n.port) : '';
    description.value = n.description;
    heading.textContent = t('node_edit', { ae: n.ae_title });
    cancel.hidden = false;
    ae.scrollIntoView({ block: 'nearest' });
  };
  cancel.addEventListener('click', resetForm);

  const echo = async (n: DicomNode, cell: HTMLElement) => {
    cell.className = 'muted';
    cell.textContent = t('echo_running');
    try {
      const r = await adminPost<Echo>(`/api/dicom-nodes/${encodeURIComponent(n.ae_title)}/echo`, {});
      cell.className = r.ok ? 'ok' : 'error';
      cell.textContent = r.ok ? t('echo_ok', { ms: r.ms ?? 0 }) : t('echo_failed', { error: r.error ?? '' });
    } catch (err) {
      cell.className = 'error';
      cell.textContent = message(err);
    }
  };
  const remove = async (n: DicomNode) => {
    if (!window.confirm(t('node_remove_confirm', { ae: n.ae_title }))) return;
    try {
      await adminDelete(`/api/dicom-nodes/${encodeURIComponent(n.ae_title)}`);
      await load();
      say(true, t('node_removed', { ae: n.ae_title }));
    } catch (err) {
      say(false, message(err));
    }
  };

  const load = async () => {
    const { nodes } = await adminGet<{ nodes: DicomNode[] }>('/api/dicom-nodes');
    listing.replaceChildren(
      table(
        ['AE', t('hospital'), t('host'), t('port'), t('description'), t('node_source'), t('changed'), '', t('echo')],
        nodes.map((n) => {
          const result = h('span', { 'data-testid': `echo-result-${n.ae_title}` });
          const actions = h('span', { class: 'row-actions' });
          if (n.editable) {
            actions.append(
              h('button', { type: 'button', class: 'secondary', 'data-testid': `node-edit-${n.ae_title}`, onclick: () => edit(n) }, t('edit')),
              h('button', { type: 'button', class: 'danger', 'data-testid': `node-remove-${n.ae_title}`, onclick: () => void remove(n) }, t('remove')),
            );
          }
          const echoButton = n.host
            ? h('button', { type: 'button', class: 'secondary', 'data-testid': `node-echo-${n.ae_title}`, onclick: () => void echo(n, result) }, t('echo'))
            : null;
          return [
            n.ae_title,
            n.tenant ?? '—',
            n.host ?? '—',
            n.port ?? '—',
            n.description,
            n.source === 'config' ? t('node_from_config') : t('node_from_console'),
            n.changed_ms ? `${dateTime(n.changed_ms)} · ${n.changed_by ?? ''}` : '—',
            actions,
            h('span', { class: 'echo' }, echoButton, result),
          ];
        }),
        'dicom-nodes',
      ),
    );
  };

  const form = h(
    'form',
    { class: 'inline', 'data-testid': 'node-form' },
    heading,
    field(t('ae_title'), ae),
    field(t('host'), host),
    field(t('port'), port),
    field(t('description'), description),
    h('button', { type: 'submit', 'data-testid': 'node-save' }, t('save')),
    cancel,
    out,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = ae.value.trim();
    if (!kAeTitle.test(name)) {
      say(false, t('node_bad_ae'));
      return;
    }
    if ((host.value.trim() === '') !== (port.value.trim() === '')) {
      say(false, t('node_host_and_port'));
      return;
    }
    try {
      const saved = await adminPut<DicomNode>(`/api/dicom-nodes/${encodeURIComponent(name)}`, {
        host: host.value.trim() || null,
        port: port.value.trim() ? Number(port.value) : null,
        description: description.value.trim(),
      });
      resetForm();
      await load();
      say(true, t('node_saved', { ae: saved.ae_title }));
    } catch (err) {
      say(false, message(err));
    }
  });

  await load();
  return h(
    'section',
    { 'data-testid': 'dicom-nodes-section' },
    h('h2', {}, t('dicom_nodes')),
    h('p', { class: 'muted' }, t('nodes_help')),
    listing,
    form,
  );
}
