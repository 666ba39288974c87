// The roles' names as the staff apps show them (t(`role.${role}`)).
import { addMessages } from './i18n';

addMessages({
  'role.platform-admin': { 'zh-CN': '平台管理员', en: 'Platform admin' },
  'role.hospital-admin': { 'zh-CN': '医院管理员', en: 'Hospital admin' },
  'role.technologist': { 'zh-CN': '技师', en: 'Technologist' },
  'role.doctor': { 'zh-CN': '医生', en: 'Doctor' },
  'role.kiosk': { 'zh-CN': '自助打印机', en: 'Kiosk' },
  'role.auditor': { 'zh-CN': '审计员', en: 'Auditor' },
  'role.api-client': { 'zh-CN': '接口客户端', en: 'API client' },
});
