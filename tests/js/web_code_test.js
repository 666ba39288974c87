// SPDX-License-Identifier: Apache-2.0
// The one-time code (a hospital whose shares ask a code sent by SMS) in
// headless Chromium against a live cloudfilm whose notifications go to a
// file (the file provider; a gateway would send them as SMS):
//   1. on a phone (360 x 740) the QR URL asks for the code and offers
//      "send me a code"; the code arrives (in the file) as 6 digits;
//      a wrong code says how many attempts are left; the right one opens
//      the exam with its report; the same code on another phone is refused
//      (single use);
//   2. at the kiosk, a patient without the slip types the visit number, asks
//      for a code there, types it on the keypad and gets the visit's
//      report and film sheet.
// Screenshots in $CF_ARTIFACTS (default /tmp): code-factor.png,
// code-exam.png, code-kiosk.png (and code-failure.png).
//
// Usage: node web_code_test.js BASE SLIP_URL NOTICES_FILE KIOSK_LOGIN PASSWORD VISIT CONCLUSION
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { check, checkEq, finish } = require('./tap');

const [base, slipUrl, notices, kioskLogin, password, visit, conclusion] = process.argv.slice(2);
if (!conclusion) {
  console.error('usage: node web_code_test.js BASE SLIP_URL NOTICES_FILE KIOSK_LOGIN PASSWORD VISIT CONCLUSION');
  process.exit(2);
}
const artifacts = process.env.CF_ARTIFACTS || '/tmp';
const shot = (name) => path.join(artifacts, name);
const T = 20000;

// The n-th one-time code the file provider delivered (delivery is
// asynchronous: waits up to 10 s).
async function codeNumber(n) {
  for (let i = 0; i < 100; i++) {
    const lines = fs.existsSync(notices)
      ? fs.readFileSync(notices, 'utf8').split('\n').filter((l) => l.includes('"kind":"one-time-code"'))
      : [];
    if (lines.length >= n) {
      const m = /\b(\d{6})\b/.exec(JSON.parse(lines[n - 1]).body);
      return m ? m[1] : '';
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return '';
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const phone = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'zh-CN', serviceWorkers: 'block' };
  const errors = [];
  let page;
  try {
    // --- 1. the patient's phone -------------------------------------------------
    page = await (await browser.newContext(phone)).newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(slipUrl);
    await page.locator('[data-testid=factor-input]').waitFor({ timeout: T });
    checkEq('the page asks for the code we send', '短信验证码', (await page.textContent('label[for=factor]')).trim());
    await page.click('[data-testid=send-code]');
    await page.locator('[data-testid=factor-message]:has-text("验证码已发送")').waitFor({ timeout: T });
    check('"send me a code" says it is on its way', true);
    const code = await codeNumber(1);
    checkEq('the code reaches the patient: 6 digits', 6, code.length);
    await page.screenshot({ path: shot('code-factor.png') });
    const wrong = code === '000000' ? '111111' : '000000';
    await page.fill('[data-testid=factor-input]', wrong);
    await page.click('[data-testid=factor-submit]');
    await page.locator('[data-testid=factor-message]:has-text("还可以再试")').waitFor({ timeout: T });
    check('a wrong code says how many attempts are left',
      /还可以再试 \d 次/.test(await page.textContent('[data-testid=factor-message]')));
    await page.fill('[data-testid=factor-input]', code);
    await page.click('[data-testid=factor-submit]');
    await page.locator('[data-testid=report]').first().waitFor({ timeout: T });
    check("the right code opens the exam with its report",
      (await page.textContent('[data-testid=report]')).includes(conclusion));
    await page.screenshot({ path: shot('code-exam.png'), fullPage: true });

    const other = await (await browser.newContext(phone)).newPage();
    await other.goto(slipUrl);
    await other.locator('[data-testid=factor-input]').waitFor({ timeout: T });
    await other.fill('[data-testid=factor-input]', code);
    await other.click('[data-testid=factor-submit]');
    await other.locator('[data-testid=factor-message]').waitFor({ timeout: T });
    checkEq('the same code on another phone is refused (single use)', 0,
      await other.locator('[data-testid=report]').count());

    // --- 2. the kiosk, by visit number ------------------------------------------
    page = await (await browser.newContext({ viewport: { width: 1080, height: 1920 }, locale: 'zh-CN', serviceWorkers: 'block' })).newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/kiosk?idle=120&print=0`);
    await page.getByTestId('device-login').fill(kioskLogin);
    await page.getByTestId('device-password').fill(password);
    await page.getByTestId('device-submit').click();
    await page.locator('main[data-screen="start"]').waitFor({ timeout: T });
    await page.getByTestId('visit').click();
    for (const d of visit) await page.getByTestId(`visit-key-${d}`).click();
    await page.getByTestId('visit-submit').click();
    await page.locator('main[data-screen="factor"]').waitFor({ timeout: T });
    check('the kiosk asks for the code',
      (await page.locator('label.k-big').first().textContent()).includes('请输入短信验证码'));
    await page.getByRole('button', { name: '发送验证码' }).click();
    await page.locator('[data-testid=message]:has-text("验证码已发送")').waitFor({ timeout: T });
    const kioskCode = await codeNumber(2);
    checkEq('a second code is sent for the visit', 6, kioskCode.length);
    check('a new one', kioskCode !== code);
    for (const d of kioskCode) await page.getByTestId(`key-${d}`).click();
    await page.getByTestId('factor-submit').click();
    await page.locator('main[data-screen="docs"]').waitFor({ timeout: T });
    const kinds = await page.getByTestId('doc-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    checkEq("the visit's report and film sheet are listed", ['report', 'film-sheet'], kinds);
    await page.screenshot({ path: shot('code-kiosk.png'), fullPage: true });
    checkEq('no script error', [], errors);
  } catch (e) {
    check('one-time code flow', false, e.stack || String(e));
    if (page) await page.screenshot({ path: shot('code-failure.png'), fullPage: true }).catch(() => {});
  } finally {
    await browser.close();
  }
  finish();
}

main();
