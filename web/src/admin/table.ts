import { h } from '../common/dom';
import { t } from '../common/i18n';

export type Cell = string | number | Node | null | undefined;

// A plain data table; an empty one says so instead of showing nothing.
export function table(headers: string[], rows: Cell[][], testid: string): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted', 'data-testid': testid }, t('none'));
  return h(
    'table',
    { class: 'data', 'data-testid': testid },
    h('thead', {}, h('tr', {}, headers.map((name) => h('th', { scope: 'col' }, name)))),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h(
          'tr',
          {},
          row.map((cell) =>
            h('td', {}, cell instanceof Node ? cell : cell === null || cell === undefined ? '' : String(cell)),
          ),
        ),
      ),
    ),
  );
}

export function field(label: string, input: HTMLElement): HTMLElement {
  return h('label', {}, h('span', {}, label), input);
}

export function status(): HTMLElement {
  return h('p', { role: 'status', 'aria-live': 'polite', 'data-testid': 'status' });
}
