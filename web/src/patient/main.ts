// The patient app, opened from the QR code at /s/{token}.
import '../common/style.css';
import { h, mount } from '../common/dom';
import { addMessages, t } from '../common/i18n';
import { langSwitch } from '../common/lang_switch';

addMessages({
  title: { 'zh-CN': '我的检查', en: 'My exam' },
});

function render(): void {
  const root = document.getElementById('app')!;
  mount(root, h('header', { class: 'bar' }, h('h1', {}, t('title')), langSwitch(render)));
}

render();
