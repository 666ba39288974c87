// SPDX-License-Identifier: Apache-2.0
// The self-service kiosk (/kiosk, web/src/kiosk) in headless Chromium on a
// 1080 x 1920 portrait screen against a live cloudfilm:
//   1. staff sign the device in with the kiosk account;
//   2. the start screen has the scan field focused: the slip's URL typed as a
//      keyboard-wedge scanner does (keyboard.type, then Enter) leads to the
//      second factor;
//   3. a wrong birth date says how many attempts are left; the right one lists
//      the patient (Chinese name) and every report and film sheet of the
//      exam, "not printed";
//   4. "Print" fetches the PDF, loads it in the print frame and records the
//      print: the row then shows "printed 1x"; the PDFs the kiosk
//      printed are saved for the shell test to read (pdftotext, pdftoppm,
//      zbarimg);
//   5. after the idle timeout the start screen is back and the patient's
//      session at the kiosk is gone (GET /api/kiosk/session: 404); with
//      CF_DOCTOR_URL, a doctor share scanned there is refused as one;
//   6. (with VISIT) a patient without the slip types the visit number on the
//      keypad, answers the factor, and sees every exam of that visit
//      (VISIT_EXAMS of them) with the note that its sheets carry no phone link.
// Screenshots in $CF_ARTIFACTS (default /tmp): kiosk-start.png,
// kiosk-factor.png, kiosk-reports.png, kiosk-printed.png, kiosk-visit.png (and
// kiosk-failure.png).
//
// Usage: node web_kiosk_test.js KIOSK_URL LOGIN PASSWORD SLIP_URL BIRTH_DATE NAME OUT_DIR [VISIT VISIT_EXAMS]
//   KIOSK_URL: the kiosk page with ?idle=N&print=0 (headless Chromium's
//   renderer crashes when print() is called on a PDF frame, so the test stops
//   short of the printer); SLIP_URL: what the slip's QR code
//   carries; NAME: the patient's name as the kiosk must show it (zh-CN);
//   OUT_DIR: where report.pdf and film.pdf are written.
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { check, checkEq, finish } = require('./tap');

const [kioskUrlArg, login, password, slipUrl, birthDate, patientName, outDir, visit, visitExams] =
  process.argv.slice(2);
if (!outDir) {
  console.error('usage: node web_kiosk_test.js KIOSK_URL LOGIN PASSWORD SLIP_URL BIRTH_DATE NAME OUT_DIR');
  process.exit(2);
}
const artifacts = process.env.CF_ARTIFACTS || '/tmp';
const shot = (name) => path.join(artifacts, name);
const TIMEOUT_MS = 20000;

async function main() {
  const kioskUrl = kioskUrlArg;
  const idleS = Number(new URL(kioskUrl).searchParams.get('idle') || '60');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  let page;
  const cspViolations = [];
  const pageErrors = [];
  try {
    const context = await browser.newContext({
      viewport: { width: 1080, height: 1920 },
      locale: 'zh-CN',
      serviceWorkers: 'block',
    });
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.setDefaultTimeout(TIMEOUT_MS);

    // 1. Device sign-in.
    await page.goto(kioskUrl);
    await page.getByTestId('device-login').fill(login);
    await page.getByTestId('device-password').fill(password);
    await page.getByTestId('device-submit').click();
    await page.locator('main[data-screen="start"]').waitFor();
    check('the kiosk account signs the device in: the start screen', true);
    const fontPx = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    check('large type on the kiosk (>= 24 px)', fontPx >= 24, `${fontPx}px`);
    checkEq('the title names the hospital, in Chinese by default',
      '瑞金医院 · 自助打印报告和胶片', await page.getByTestId('title').textContent());
    await page.screenshot({ path: shot('kiosk-start.png') });

    // 2. The scanner types the slip's URL into the focused scan field.
    checkEq('the scan field has the focus', 'scan-input',
      await page.evaluate(() => document.activeElement?.getAttribute('data-testid')));
    await page.keyboard.type('not a slip');
    await page.keyboard.press('Enter');
    check('a code that is not a slip is refused on the spot',
      (await page.getByTestId('message').textContent()).includes('无法识别'));
    await page.keyboard.type(slipUrl, { delay: 5 });
    await page.keyboard.press('Enter');
    await page.locator('main[data-screen="factor"]').waitFor();
    check('the scanned slip leads to the second factor', true);

    // 3. A wrong birth date, then the right one (on the on-screen keypad).
    await page.keyboard.type('19000101');
    await page.getByTestId('factor-submit').click();
    await page.getByTestId('message').waitFor();
    checkEq('a wrong birth date says how many attempts are left',
      '输入不正确，还可以再试 2 次。', await page.getByTestId('message').textContent());
    await page.screenshot({ path: shot('kiosk-factor.png') });
    for (const d of birthDate) await page.getByTestId(`key-${d}`).click();
    checkEq('the keypad types the answer', birthDate,
      await page.getByTestId('factor-input').inputValue());
    await page.getByTestId('factor-submit').click();
    await page.locator('main[data-screen="docs"]').waitFor();
    checkEq("the patient's name, as a Chinese hospital writes it",
      `${patientName}，您好`, await page.getByTestId('patient-name').textContent());
    const rows = page.getByTestId('doc-row');
    const kinds = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    checkEq('the report and the film sheet are listed', ['report', 'film-sheet'], kinds);
    const report = page.locator('[data-kind="report"]');
    const film = page.locator('[data-kind="film-sheet"]');
    checkEq('the report is not printed yet', 'no',
      await report.getByTestId('printed-status').getAttribute('data-printed'));
    check('and says so', (await report.getByTestId('printed-status').textContent()) === '未打印');
    await page.screenshot({ path: shot('kiosk-reports.png'), fullPage: true });

    // 4. Print both; each is recorded and shows as printed.
    for (const [name, row] of [['report', report], ['film', film]]) {
      await row.getByTestId('print').click();
      await row.locator('[data-printed="yes"]').waitFor();
      const status = await row.getByTestId('printed-status').textContent();
      check(`the ${name} now shows as printed once`, /^已打印 1 次/.test(status), status);
      const href = await row.locator('a.k-download').getAttribute('href');
      checkEq(`the ${name} PDF went to the print frame`, href,
        await page.evaluate(() => new URL(document.querySelector('iframe.k-print-frame').src).pathname));
      const pdf = await page.evaluate(async (url) => {
        const r = await fetch(url, { credentials: 'same-origin' });
        const bytes = new Uint8Array(await r.arrayBuffer());
        let s = '';
        for (const b of bytes) s += String.fromCharCode(b);
        return { status: r.status, type: r.headers.get('content-type'), b64: btoa(s) };
      }, href);
      checkEq(`the ${name} PDF the kiosk printed: 200 application/pdf`, [200, 'application/pdf'],
        [pdf.status, pdf.type]);
      fs.writeFileSync(path.join(outDir, `${name}.pdf`), Buffer.from(pdf.b64, 'base64'));
    }
    // The kiosk's idle time runs from this click, its last input: the
    // print's round trip after it took 2.5 s once on a loaded CI machine.
    const lastInput = Date.now();
    await report.getByTestId('print').click();
    await report.locator('[data-printed="yes"]').filter({ hasText: '已打印 2 次' }).waitFor();
    check('printing again counts again', true);
    await page.screenshot({ path: shot('kiosk-printed.png'), fullPage: true });

    // 5. Idle: back to the start, the patient's session gone.
    await page.locator('main[data-screen="start"]').waitFor({ timeout: (idleS + 10) * 1000 });
    const waited = (Date.now() - lastInput) / 1000;
    check(`idle for ${idleS} s returns to the start screen`, waited >= idleS - 2, `${waited} s`);
    checkEq('and the scan field has the focus again', 'scan-input',
      await page.evaluate(() => document.activeElement?.getAttribute('data-testid')));
    // The page's DELETE races the next check: wait for it.
    let status = 0;
    for (let i = 0; i < 50; i++) {
      status = await page.evaluate(async () =>
        (await fetch('/api/kiosk/session', { credentials: 'same-origin' })).status);
      if (status === 404) break;
      await page.waitForTimeout(100);
    }
    checkEq("the patient's session at the kiosk is over: 404", 404, status);

    // 5b. A link a patient gave a doctor is refused, and the screen says so
    //     (the server's reason "doctor-link", not another 403's message).
    if (process.env.CF_DOCTOR_URL) {
      await page.keyboard.type(process.env.CF_DOCTOR_URL, { delay: 2 });
      await page.keyboard.press('Enter');
      await page.locator('main[data-screen="factor"]').waitFor();
      await page.keyboard.type('19000101');
      await page.getByTestId('factor-submit').click();
      await page.locator('main[data-screen="start"]').waitFor();
      checkEq("a doctor's link is refused as one, back at the start",
        '这是患者分享给医生的链接，不能在自助机打印。请扫描您本人检查单上的二维码。',
        await page.getByTestId('message').textContent());
    }

    // 6. By visit number, on the keypad.
    if (visit) {
      await page.getByTestId('visit').click();
      await page.locator('main[data-screen="visit"]').waitFor();
      for (const d of visit) await page.getByTestId(`visit-key-${d}`).click();
      checkEq('the keypad types the visit number', visit,
        await page.getByTestId('visit-input').inputValue());
      await page.getByTestId('visit-submit').click();
      await page.locator('main[data-screen="factor"]').waitFor();
      for (const d of birthDate) await page.getByTestId(`key-${d}`).click();
      await page.getByTestId('factor-submit').click();
      await page.locator('main[data-screen="docs"]').waitFor();
      checkEq("the visit number opens the patient's exams of that visit", Number(visitExams),
        await page.getByTestId('exam').count());
      check('the page names the visit',
        (await page.getByTestId('docs-intro').textContent()).includes(visit));
      check('and says its sheets carry no phone link',
        (await page.getByTestId('visit-note').textContent()).includes('二维码'));
      await page.screenshot({ path: shot('kiosk-visit.png'), fullPage: true });
      await page.getByTestId('finish').click();
      await page.locator('main[data-screen="start"]').waitFor();
      await page.getByTestId('visit').click();
      checkEq('the next patient does not see the visit number', '',
        await page.getByTestId('visit-input').inputValue());
      await page.getByRole('button', { name: '返回' }).click();
      await page.locator('main[data-screen="start"]').waitFor();
    }

    // The language switch.
    await page.getByTestId('lang').click();
    checkEq('English on request', 'Scan the QR code on your slip',
      await page.locator('.k-big').first().textContent());
    checkEq('no Content-Security-Policy violation', [], cspViolations);
    checkEq('no script error', [], pageErrors);
  } catch (e) {
    check('kiosk flow', false, e.stack || String(e));
    if (page) await page.screenshot({ path: shot('kiosk-failure.png'), fullPage: true }).catch(() => {});
  } finally {
    await browser.close();
  }
  finish();
}

main();
