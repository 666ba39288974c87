// The kiosk's words, in Simplified Chinese (default) and English.
import { addMessages } from '../common/i18n';

addMessages({
  k_title: { 'zh-CN': '自助打印报告和胶片', en: 'Print your reports and films' },
  k_device_title: { 'zh-CN': '自助机登录（工作人员）', en: 'Kiosk sign-in (staff)' },
  k_device_intro: {
    'zh-CN': '请用本院为自助机开设的账号登录一次。',
    en: "Sign in once with the kiosk account your hospital created.",
  },
  k_login: { 'zh-CN': '账号', en: 'Account' },
  k_password: { 'zh-CN': '密码', en: 'Password' },
  k_totp: { 'zh-CN': '动态验证码', en: 'Authenticator code' },
  k_sign_in: { 'zh-CN': '登录', en: 'Sign in' },
  k_not_kiosk: {
    'zh-CN': '此账号不能打印（需要自助机或服务台账号）。',
    en: 'This account cannot print (a kiosk or service-desk account is needed).',
  },
  k_scan_title: { 'zh-CN': '请扫描检查单上的二维码', en: 'Scan the QR code on your slip' },
  k_scan_help: {
    'zh-CN': '把检查单上的二维码对准下方扫描窗口。',
    en: 'Hold the QR code of your exam slip under the scanner.',
  },
  k_scan_input: { 'zh-CN': '扫描内容', en: 'Scanned code' },
  k_manual: { 'zh-CN': '手动输入检查单编码', en: 'Type the code on the slip' },
  k_manual_label: {
    'zh-CN': '检查单二维码下方的编码（22 位）',
    en: 'The code under the QR code on the slip (22 characters)',
  },
  k_visit: { 'zh-CN': '没有检查单？输入就诊号', en: 'No slip? Enter your visit number' },
  k_visit_label: {
    'zh-CN': '就诊号（门诊号或住院号，见就诊卡、挂号单或缴费单）',
    en: 'Visit number (outpatient or inpatient number, on your card, registration or payment slip)',
  },
  k_visit_unknown: {
    'zh-CN': '未找到此就诊号，请核对后重新输入，或扫描检查单。',
    en: 'This visit number is not known here: check it, or scan your slip.',
  },
  k_visit_no_exam: {
    'zh-CN': '此次就诊的检查结果尚未发布，请稍后再试或到服务台咨询。',
    en: 'The results of this visit are not released yet: try later or ask at the service desk.',
  },
  k_visit_note: {
    'zh-CN': '按就诊号打印的胶片不含手机查看二维码；请用检查单上的二维码在手机上查看。',
    en: 'Film sheets printed by visit number carry no phone link: use the QR code of your slip on a phone.',
  },
  k_next: { 'zh-CN': '下一步', en: 'Next' },
  k_back: { 'zh-CN': '返回', en: 'Back' },
  k_finish: { 'zh-CN': '完成，退出', en: 'Done, sign out' },
  k_factor_birth: {
    'zh-CN': '请输入出生日期（8 位，如 19800214）',
    en: 'Enter your birth date (8 digits, e.g. 19800214)',
  },
  k_factor_phone: {
    'zh-CN': '请输入手机号码后 4 位',
    en: 'Enter the last 4 digits of your phone number',
  },
  k_factor_id: {
    'zh-CN': '请输入身份证号码后 4 位',
    en: 'Enter the last 4 characters of your ID card number',
  },
  k_factor_code: {
    'zh-CN': '请输入短信验证码（6 位）',
    en: 'Enter the 6-digit code we sent you',
  },
  k_send_code: { 'zh-CN': '发送验证码', en: 'Send me a code' },
  k_code_sent: { 'zh-CN': '验证码已发送，5 分钟内有效。', en: 'Code sent; valid for 5 minutes.' },
  k_clear: { 'zh-CN': '清除', en: 'Clear' },
  k_delete: { 'zh-CN': '删除', en: 'Delete' },
  k_confirm: { 'zh-CN': '确定', en: 'OK' },
  k_bad_code: {
    'zh-CN': '无法识别此二维码，请扫描检查单上的二维码。',
    en: 'This is not a cloudfilm slip: scan the QR code on your exam slip.',
  },
  k_wrong_factor: {
    'zh-CN': '输入不正确，还可以再试 {n} 次。',
    en: 'That is not right; {n} attempts left.',
  },
  k_wrong_factor_plain: { 'zh-CN': '输入不正确，请重试。', en: 'That is not right; try again.' },
  k_locked: {
    'zh-CN': '错误次数过多，已锁定。请 {min} 分钟后再试，或到服务台办理。',
    en: 'Too many wrong answers: locked. Try again in {min} min, or ask at the service desk.',
  },
  k_revoked: {
    'zh-CN': '此检查单已被医院作废，请到服务台领取新的检查单。',
    en: 'This slip was revoked by the hospital: ask the service desk for a new one.',
  },
  k_expired: {
    'zh-CN': '此检查单已过期，请到服务台办理。',
    en: 'This slip has expired: please ask at the service desk.',
  },
  k_not_yet: { 'zh-CN': '此检查单尚未生效。', en: 'This slip is not valid yet.' },
  k_unknown: {
    'zh-CN': '未找到此检查单，请确认后重新扫描。',
    en: 'This slip is not known: check it and scan again.',
  },
  k_other_hospital: {
    'zh-CN': '此检查单属于其他医院，请在该医院打印，或用手机扫码查看。',
    en: 'This slip is from another hospital: print it there, or open it on your phone.',
  },
  k_doctor_link: {
    'zh-CN': '这是患者分享给医生的链接，不能在自助机打印。请扫描您本人检查单上的二维码。',
    en: 'This is a link a patient gave a doctor; the kiosk prints only your own slip: scan the QR code on it.',
  },
  k_error: { 'zh-CN': '出错了：{detail}', en: 'Something went wrong: {detail}' },
  k_docs_title: { 'zh-CN': '{name}，您好', en: 'Hello, {name}' },
  k_docs_intro: {
    'zh-CN': '以下是您本次检查的全部报告和胶片，点击“打印”。',
    en: 'These are all the reports and films of your exams. Tap “Print”.',
  },
  k_docs_intro_visit: {
    'zh-CN': '以下是就诊号 {visit} 的全部报告和胶片，点击“打印”。',
    en: 'These are all the reports and films of visit {visit}. Tap “Print”.',
  },
  k_no_docs: { 'zh-CN': '暂无可打印的报告或胶片。', en: 'Nothing to print yet.' },
  k_exam: { 'zh-CN': '检查', en: 'Exam' },
  k_film_sheet: { 'zh-CN': '影像胶片', en: 'Film sheet' },
  k_print: { 'zh-CN': '打印', en: 'Print' },
  k_print_again: { 'zh-CN': '再次打印', en: 'Print again' },
  k_printing: { 'zh-CN': '正在打印…', en: 'Printing…' },
  k_not_printed: { 'zh-CN': '未打印', en: 'Not printed' },
  k_printed: {
    'zh-CN': '已打印 {count} 次（首次 {first}）',
    en: 'Printed {count}× (first {first})',
  },
  k_download: {
    'zh-CN': '如未开始打印，点此下载 PDF',
    en: 'If printing did not start, download the PDF',
  },
  k_idle: {
    'zh-CN': '{s} 秒无操作将自动退出',
    en: 'Signing out after {s} s without a touch',
  },
  k_report_radiology: { 'zh-CN': '放射检查报告', en: 'Radiology report' },
  k_report_ultrasound: { 'zh-CN': '超声检查报告', en: 'Ultrasound report' },
  k_report_endoscopy: { 'zh-CN': '内镜检查报告', en: 'Endoscopy report' },
  k_report_pathology: { 'zh-CN': '病理诊断报告', en: 'Pathology report' },
  k_report_ecg: { 'zh-CN': '心电图报告', en: 'ECG report' },
  k_status_preliminary: { 'zh-CN': '初步报告', en: 'Preliminary' },
  k_status_final: { 'zh-CN': '正式报告', en: 'Final' },
  k_status_amended: { 'zh-CN': '修订报告', en: 'Amended' },
});
