// The landing page at /: where each app lives.
import '../common/style.css';
import { h, mount } from '../common/dom';
import { addMessages, t } from '../common/i18n';
import { langSwitch } from '../common/lang_switch';

addMessages({
  title: { 'zh-CN': 'cloudfilm 云胶片', en: 'cloudfilm' },
  intro: {
    'zh-CN': '患者请扫描检查单上的二维码查看自己的检查。',
    en: 'Patients: scan the QR code on your exam slip to see your exam.',
  },
});

function render(): void {
  const root = document.getElementById('app')!;
  mount(
    root,
    h('header', { class: 'bar' }, h('h1', {}, t('title')), langSwitch(render)),
    h('main', {}, h('p', {}, t('intro'))),
  );
}

render();
