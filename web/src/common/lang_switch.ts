import { h } from './dom';
import { lang, setLang } from './i18n';

// A button that flips the interface between 中文 and English and re-renders.
export function langSwitch(rerender: () => void): HTMLButtonElement {
  const button = h('button', { class: 'secondary', type: 'button', 'data-testid': 'lang' });
  button.textContent = lang() === 'zh-CN' ? 'English' : '中文';
  button.setAttribute('aria-label', lang() === 'zh-CN' ? 'Switch to English' : '切换到中文');
  button.addEventListener('click', () => {
    setLang(lang() === 'zh-CN' ? 'en' : 'zh-CN');
    rerender();
  });
  return button;
}
