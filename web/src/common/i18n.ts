// Interface language: Simplified Chinese by default, English on request.
// The choice is kept per device (a kiosk or a shared phone keeps its own).

export type Lang = 'zh-CN' | 'en';
export type Messages = Record<string, { 'zh-CN': string; en: string }>;

const kKey = 'cf.lang';
let current: Lang = (localStorage.getItem(kKey) as Lang | null) ?? 'zh-CN';
const tables: Messages[] = [];

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  localStorage.setItem(kKey, next);
  document.documentElement.lang = next;
}

export function addMessages(messages: Messages): void {
  tables.push(messages);
}

// t('attempts_left', {n: 3}) fills {n}; an unknown key shows itself, so a
// missing translation is visible rather than blank.
export function t(key: string, params: Record<string, string | number> = {}): string {
  let text = key;
  for (const table of tables) {
    const entry = table[key];
    if (entry) {
      text = entry[current];
      break;
    }
  }
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

document.documentElement.lang = current;
