// SPDX-License-Identifier: Apache-2.0
// The patient app in headless Chromium on a phone (360 x 740, touch), against
// a live cloudfilm serving web/dist (tests/integration/web_patient_test.sh
// stores the exams, the report, the film and the patient's share first):
//   1. the QR URL asks the share's factor (birth date); a wrong one says how
//      many attempts are left;
//   2. the right one shows the report first (its text, asserted) under the
//      patient's Chinese name, then the series;
//   3. a series opens full screen: the Cornerstone3D canvas shows the CT and
//      matches cloudfilm's own /rendered PNG of the same image at the same
//      window, for two window presets whose pictures differ as the windows
//      predict; a swipe shows another slice, a pinch zooms, reset undoes it;
//      the ultrasound clips play as a cine;
//   4. "share with a doctor" shows a QR code that jsQR decodes to the share's
//      URL; that URL opens the exam in a fresh browser (no factor asked); the
//      patient sees the doctor's opening in "who viewed my exam", revokes the
//      share, and the doctor's page then says the link was revoked;
//   5. a new share of the film, wrong birth dates until it locks: the page
//      says it is locked and for how long, also after a reload and in
//      English; the old link says it was revoked.
// Screenshots in $CF_ARTIFACTS (default /tmp): patient-factor.png,
// patient-report.png, patient-image.png, patient-share-qr.png.
//
// Usage: node web_patient_test.js CASE_JSON   (CF_DOCTOR_TOKEN: a doctor's API token)
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const jsQR = require('jsqr');
const { check, checkEq, finish } = require('./tap');

const c = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const artifacts = process.env.CF_ARTIFACTS || '/tmp';
const shot = (name) => path.join(artifacts, name);
const doctorToken = process.env.CF_DOCTOR_TOKEN || '';
const phone = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'zh-CN',
};
const T = 30000;

// --- pixels ---------------------------------------------------------------
// Runs in the page: an N x N grid of samples of the viewport canvas at the
// centres of image pixels (the viewer publishes the image's rectangle on the
// canvas), and the same grid of cloudfilm's /rendered PNG of the image on
// screen at the window given.
async function sampleViewport({ n, window: win }) {
  const el = document.querySelector('[data-testid=viewport]');
  const canvas = el && el.querySelector('canvas');
  if (!canvas || !el.dataset.imageRect || !el.dataset.imageId) return { state: 'not rendered' };
  const [rx, ry, rw, rh] = el.dataset.imageRect.split(',').map(Number);
  const scale = canvas.width / canvas.clientWidth;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const sample = [];
  for (let v = 0; v < n; v++) {
    for (let u = 0; u < n; u++) {
      const x = Math.floor((rx + ((u + 0.5) * rw) / n) * scale);
      const y = Math.floor((ry + ((v + 0.5) * rh) / n) * scale);
      sample.push(x < 0 || y < 0 || x >= canvas.width || y >= canvas.height ? -1 : pixels[(y * canvas.width + x) * 4]);
    }
  }
  let levels = new Set();
  for (let k = 0; k < pixels.length; k += 4 * 97) levels.add(pixels[k]);
  const result = { state: 'sampled', imageId: el.dataset.imageId, index: Number(el.dataset.index), rect: [rx, ry, rw, rh], levels: levels.size, sample };
  if (win) {
    const url = `${el.dataset.imageId.replace(/^wadors:/, '').replace(/\/frames\/\d+$/, '/rendered')}?window=${win[0]},${win[1]}`;
    const answer = await fetch(url, { headers: { Accept: 'image/png' } });
    if (!answer.ok) return { ...result, reference: { error: `${url}: ${answer.status}` } };
    const bitmap = await createImageBitmap(await answer.blob());
    const off = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = off.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const ref = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const refSample = [];
    for (let v = 0; v < n; v++) {
      for (let u = 0; u < n; u++) {
        const col = Math.floor(((u + 0.5) * bitmap.width) / n);
        const row = Math.floor(((v + 0.5) * bitmap.height) / n);
        refSample.push(ref[(row * bitmap.width + col) * 4]);
      }
    }
    result.reference = { sample: refSample };
  }
  return result;
}

const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const meanAbsDiff = (a, b) => mean(a.map((x, i) => Math.abs(x - b[i])));
function correlation(a, b) {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa && sbb ? sab / Math.sqrt(saa * sbb) : 0;
}

async function pollUntil(what, ms, fn) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Touch gestures through the DevTools protocol: Chromium turns them into the
// pointer events the viewer handles, as a phone would.
async function touch(cdp, from, to, steps = 10) {
  const point = (p, i) => p.map(([x, y], id) => ({ x, y, id, radiusX: 5, radiusY: 5, force: 1 }));
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: point(from) });
  for (let s = 1; s <= steps; s++) {
    const now = from.map(([x, y], i) => [x + ((to[i][0] - x) * s) / steps, y + ((to[i][1] - y) * s) / steps]);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: point(now) });
    await new Promise((r) => setTimeout(r, 16));
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

const text = (page, selector) => page.locator(selector).first().innerText({ timeout: T });

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-gl=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
  const failedRequests = [];
  const frameSyntaxes = new Set();
  const watch = (page, who) => {
    page.on('response', async (r) => {
      if (r.url().includes('/frames/') && r.status() === 200) {
        try {
          const head = (await r.body()).subarray(0, 300).toString('latin1');
          const m = /transfer-syntax=([0-9.]+)/.exec(head);
          if (m) frameSyntaxes.add(m[1]);
        } catch {
          // the page went away first
        }
      }
      const expected = r.status() === 401 || r.status() === 429 || r.url().includes('/api/share-sessions');
      if (r.status() >= 400 && !expected) failedRequests.push(`${who}: ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    page.on('pageerror', (e) => failedRequests.push(`${who}: page error ${e.message}`));
    page.on('dialog', (d) => d.accept());
  };
  try {
    // --- 1. the QR URL and the second factor ---------------------------------
    const patient = await browser.newContext(phone);
    const page = await patient.newPage();
    watch(page, 'patient');
    await page.goto(c.url);
    await page.locator('[data-testid=factor-input]').waitFor({ timeout: T });
    checkEq('the page asks for the birth date', '出生日期', (await text(page, 'label[for=factor]')).trim());
    await page.fill('[data-testid=factor-input]', '19000101');
    await page.click('[data-testid=factor-submit]');
    await page.locator('[data-testid=factor-message]:has-text("还可以再试")').waitFor({ timeout: T });
    checkEq('a wrong birth date says 2 attempts are left', '输入不正确，还可以再试 2 次。', (await text(page, '[data-testid=factor-message]')).trim());
    await page.screenshot({ path: shot('patient-factor.png') });

    // --- 2. the right factor: report first, the Chinese name -----------------
    await page.fill('[data-testid=factor-input]', c.birth);
    await page.click('[data-testid=factor-submit]');
    await page.locator('[data-testid=report]').first().waitFor({ timeout: T });
    const report = await text(page, `[data-study="${c.ct_study}"] [data-testid=report]`);
    check('the report text is shown', report.includes(c.report_text), report);
    check('with its conclusion and signer', report.includes(c.conclusion) && report.includes('张医生'), report);
    checkEq("the patient's Chinese name", c.name, (await text(page, `[data-study="${c.ct_study}"] [data-testid=patient-name]`)).trim());
    checkEq('both exams of the patient are listed', 2, await page.locator('[data-testid=exam]').count());
    const order = await page.evaluate((uid) => {
      const exam = document.querySelector(`[data-study="${uid}"]`);
      const r = exam.querySelector('[data-testid=report]');
      const s = exam.querySelector('[data-testid=series]');
      return Boolean(r && s && r.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING);
    }, c.ct_study);
    check('the report comes before the images', order);
    const pdfHref = await page.locator(`[data-study="${c.ct_study}"] [data-testid=report-pdf]`).getAttribute('href');
    const pdf = await page.evaluate(async (href) => {
      const r = await fetch(href);
      const b = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), magic: String.fromCharCode(...b.slice(0, 5)) };
    }, pdfHref);
    checkEq('the report PDF link answers a PDF', { status: 200, type: 'application/pdf', magic: '%PDF-' }, pdf);
    const zipHref = await page.locator(`[data-study="${c.ct_study}"] [data-testid=download]`).getAttribute('href');
    const zip = await page.evaluate(async (href) => {
      const r = await fetch(href);
      const b = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, magic: String.fromCharCode(...b.slice(0, 2)), big: b.length > 100000 };
    }, zipHref);
    checkEq('the film package downloads as a ZIP', { status: 200, magic: 'PK', big: true }, zip);
    checkEq('the film package is the film of the CT', `/api/films/${c.film}/package`, zipHref);
    const thumbs = await page.evaluate(async () => {
      const imgs = [...document.querySelectorAll('[data-testid=series] img')];
      await Promise.all(imgs.map((i) => (i.complete ? null : new Promise((r) => { i.onload = r; i.onerror = r; }))));
      return imgs.map((i) => i.naturalWidth);
    });
    check('series thumbnails are loaded images', thumbs.length === 2 && thumbs.every((w) => w > 0), JSON.stringify(thumbs));
    await page.screenshot({ path: shot('patient-report.png'), fullPage: true });

    // --- 3. the CT full screen ----------------------------------------------------
    await page.click(`[data-study="${c.ct_study}"] [data-testid=series]`);
    const viewport = page.locator('[data-testid=viewport]');
    await viewport.waitFor({ timeout: T });
    const n = 16;
    let first = await pollUntil('the CT on the canvas', 60000, async () => {
      const s = await page.evaluate(sampleViewport, { n });
      return s.state === 'sampled' && s.levels > 8 ? s : null;
    });
    check('the canvas shows an image, not a blank', first.levels > 8 && Math.max(...first.sample) > Math.min(...first.sample) + 50,
      `${first.levels} gray levels`);
    checkEq('the middle slice of 16 is shown first', 7, first.index);
    const box = await viewport.boundingBox();
    check('the image fills the phone screen width', first.rect[2] >= 340 && box.width >= 350, JSON.stringify(first.rect));
    const loaded = await pollUntil('the whole stack loaded', 60000, async () =>
      (await viewport.getAttribute('data-loaded')) === '16' ? true : null).catch(() => false);
    check('the whole stack of 16 is loaded in the background', loaded);

    const windows = { lung: [-600, 1500], brain: [40, 80] };
    const means = {};
    for (const [name, win] of Object.entries(windows)) {
      await page.selectOption('[data-testid=preset]', name);
      await pollUntil(`the ${name} window`, T, async () =>
        (await viewport.getAttribute('data-voi')) === `${win[0] - win[1] / 2},${win[0] + win[1] / 2}` ? true : null);
      await page.waitForTimeout(300);
      const s = await page.evaluate(sampleViewport, { n, window: win });
      if (!s.reference || s.reference.error) {
        check(`cloudfilm renders the ${name} reference`, false, JSON.stringify(s.reference));
        continue;
      }
      const r = correlation(s.sample, s.reference.sample);
      const d = meanAbsDiff(s.sample, s.reference.sample);
      console.log(`# ${name} window ${win}: canvas mean ${mean(s.sample).toFixed(1)}, /rendered mean ${mean(s.reference.sample).toFixed(1)}, r=${r.toFixed(3)}, mean |diff| ${d.toFixed(1)}`);
      check(`${name} window: the canvas matches cloudfilm's /rendered at ${win}`, r > 0.95 && d < 16, `r=${r.toFixed(3)} |diff|=${d.toFixed(1)}`);
      means[name] = mean(s.sample);
    }
    // Most of the field is air and fat, below the brain window (black) and
    // inside the lung window (gray): the picture darkens as predicted.
    check('the brain window darkens the picture against the lung window',
      means.brain !== undefined && means.lung !== undefined && means.lung - means.brain > 40, JSON.stringify(means));

    const cdp = await patient.newCDPSession(page);
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.selectOption('[data-testid=preset]', 'lung');
    await pollUntil('the lung window again', T, async () =>
      (await viewport.getAttribute('data-voi')) === '-1350,150' ? true : null);
    await touch(cdp, [[cx, cy + 60]], [[cx, cy - 60]]);
    const moved = await pollUntil('another slice', T, async () => {
      const drawn = await viewport.getAttribute('data-rendered');
      if (drawn !== (await viewport.getAttribute('data-index')) || Number(drawn) === first.index) return null;
      const s = await page.evaluate(sampleViewport, { n, window: windows.lung });
      return s.state === 'sampled' && s.index === Number(drawn) ? s : null;
    });
    check('a swipe up shows later slices', moved.index > first.index, `index ${first.index} -> ${moved.index}`);
    checkEq('the counter says which image', `第 ${moved.index + 1} / 16 张`, (await text(page, '[data-testid=counter]')).trim());
    check('the new slice is drawn in the window chosen before (it matches its own /rendered image)',
      moved.reference && correlation(moved.sample, moved.reference.sample) > 0.95 &&
        meanAbsDiff(moved.sample, moved.reference.sample) < 16,
      moved.reference && `r=${correlation(moved.sample, moved.reference.sample).toFixed(3)} index ${moved.index} voi ${await viewport.getAttribute('data-voi')} means ${mean(moved.sample).toFixed(1)}/${mean(moved.reference.sample).toFixed(1)} |diff| ${meanAbsDiff(moved.sample, moved.reference.sample).toFixed(1)}`);
    await page.screenshot({ path: shot('patient-image.png') });

    await touch(cdp, [[cx - 40, cy], [cx + 40, cy]], [[cx - 120, cy], [cx + 120, cy]]);
    const zoom = Number(await viewport.getAttribute('data-zoom'));
    const zoomed = await page.evaluate(sampleViewport, { n });
    check('a pinch zooms in', zoom > 1.5 && zoomed.rect[2] > moved.rect[2] * 1.5, `zoom ${zoom}, width ${moved.rect[2]} -> ${zoomed.rect[2]}`);
    await page.click('[data-testid=reset]');
    checkEq('reset fits the image again', '1.000', await viewport.getAttribute('data-zoom'));
    checkEq('and restores the default window', 'default', await viewport.getAttribute('data-preset'));
    await page.click('[data-testid=viewer-back]');
    await viewport.waitFor({ state: 'detached', timeout: T });

    // The ultrasound clips play as a cine.
    await page.click(`[data-study="${c.us_study}"] [data-testid=series]`);
    await page.locator('[data-testid=viewport][data-playing=true]').waitFor({ timeout: 60000 });
    const at1 = Number(await viewport.getAttribute('data-index'));
    await page.waitForTimeout(1500);
    const at2 = Number(await viewport.getAttribute('data-index'));
    check('the ultrasound cine plays (the frame advances by itself)', at2 !== at1, `${at1} -> ${at2}`);
    await page.click('[data-testid=cine]');
    checkEq('and pauses', 'false', await viewport.getAttribute('data-playing'));
    await page.click('[data-testid=viewer-back]');
    await viewport.waitFor({ state: 'detached', timeout: T });

    // --- 4. share with a doctor ----------------------------------------------------
    await page.selectOption('[data-testid=share-expiry]', '24');
    await page.click('[data-testid=share-make]');
    const qr = page.locator('[data-testid=share-qr]');
    await qr.waitFor({ timeout: T });
    await page.screenshot({ path: shot('patient-share-qr.png') });
    const image = await page.evaluate(() => {
      const canvas = document.querySelector('[data-testid=share-qr]');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      return { width: data.width, height: data.height, data: Array.from(data.data) };
    });
    const decoded = jsQR(Uint8ClampedArray.from(image.data), image.width, image.height);
    const shownUrl = (await text(page, '[data-testid=share-url]')).trim();
    check('jsQR decodes the QR code', Boolean(decoded), `${image.width}x${image.height}`);
    const doctorUrl = decoded ? decoded.data : '';
    checkEq('the QR code is the doctor share URL shown under it', shownUrl, doctorUrl);
    check('a /s/ URL of this server, not the patient one', doctorUrl.startsWith(`${c.base}/s/`) && doctorUrl !== c.url, doctorUrl);
    const qrBox = await qr.boundingBox();
    check('the QR code fills the phone screen', qrBox.width >= 300, `${qrBox.width} px`);
    await page.click('[data-testid=share-qr-close]');
    await page.locator('[data-testid=revoke]').waitFor({ timeout: T });
    checkEq('the share is listed, not opened yet', '尚未打开', (await text(page, '[data-testid=share-state]')).trim());

    const doctor = await browser.newContext(phone);
    const dpage = await doctor.newPage();
    watch(dpage, 'doctor');
    await dpage.goto(doctorUrl);
    await dpage.locator('[data-testid=report]').first().waitFor({ timeout: T });
    const dreport = await text(dpage, `[data-study="${c.ct_study}"] [data-testid=report]`);
    check('the doctor sees the report without a factor', dreport.includes(c.report_text), dreport);
    checkEq('and the Chinese name', c.name, (await text(dpage, `[data-study="${c.ct_study}"] [data-testid=patient-name]`)).trim());
    checkEq("but not the patient's sharing sections", 0, await dpage.locator('[data-testid=share-section]').count());

    await page.reload();
    await page.locator('[data-testid=history] li:has-text("打开了分享")').first().waitFor({ timeout: T });
    const history = await text(page, '[data-testid=history]');
    check('"who viewed my exam" lists the doctor opening the share', history.includes('医生（通过您的分享） 打开了分享'), history);
    check('and the doctor viewing the CT, named by its date', history.includes('医生（通过您的分享） 查看') && /\d{4}年\d+月\d+日 CT/.test(history), history);
    check('the share shows it was opened', (await text(page, '[data-testid=share-state]')).includes('已于'));
    await page.click('[data-testid=revoke]');
    await page.locator('[data-testid=share-state]:has-text("已撤销")').waitFor({ timeout: T });
    check('the patient revokes the doctor share', true);
    await dpage.reload();
    await dpage.locator('[data-testid=factor-message]').waitFor({ timeout: T });
    checkEq("the doctor's link then refuses, saying why", '此链接已被撤销，无法再查看。', (await text(dpage, '[data-testid=factor-message]')).trim());

    await page.click('[data-testid=sign-out]');
    await page.locator('[data-testid=factor-input]').waitFor({ timeout: T });
    checkEq('signing out ends the session and asks the factor again', '您已安全退出。',
      (await text(page, '[data-testid=factor-message]')).trim());
    const after = await page.evaluate(async (uid) => (await fetch(`/api/studies/${uid}`)).status, c.ct_study);
    checkEq('the signed-out browser reads nothing', 401, after);

    // --- 5. a new share, wrong answers until it locks ------------------------
    const issued = await fetch(`${c.base}/api/films/${c.film}/shares`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${doctorToken}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    checkEq('the hospital makes a new share of the film', 201, issued.status);
    const newUrl = (await issued.json()).url;
    const other = await browser.newContext(phone);
    const opage = await other.newPage();
    watch(opage, 'lockout');
    await opage.goto(newUrl);
    const answers = [];
    for (const wrong of ['19000101', '19000102', '19000103']) {
      await opage.locator('[data-testid=factor-input]:enabled').waitFor({ timeout: T });
      await opage.fill('[data-testid=factor-input]', wrong);
      const shown = (await text(opage, '[data-testid=factor-message]')).trim();
      const answer = opage.waitForResponse((r) => r.url().endsWith('/api/share-sessions'));
      await opage.click('[data-testid=factor-submit]');
      await answer;
      // Each answer says something new; on a loaded machine the app may
      // draw it well after the response arrived.
      await opage.waitForFunction(([sel, before]) => {
        const el = document.querySelector(sel);
        const now = el ? el.textContent.trim() : '';
        return now !== '' && now !== before;
      }, ['[data-testid=factor-message]', shown], { timeout: T }).catch(() => {});
      answers.push((await text(opage, '[data-testid=factor-message]')).trim());
    }
    checkEq('wrong answers count down, then lock the link', [
      '输入不正确，还可以再试 2 次。',
      '输入不正确。再错 1 次，链接将被暂时锁定。',
      '错误次数过多，链接已暂时锁定。请在 15 分钟后再试。',
    ], answers);
    check('the form is closed once locked', await opage.locator('[data-testid=factor-input]').isDisabled());
    await opage.reload();
    await opage.locator('[data-testid=factor-message]').waitFor({ timeout: T });
    checkEq('after a reload the link still says it is locked', '错误次数过多，链接已暂时锁定。请在 15 分钟后再试。',
      (await text(opage, '[data-testid=factor-message]')).trim());
    checkEq('and asks nothing', 0, await opage.locator('[data-testid=factor-input]').count());
    await opage.click('[data-testid=lang]');
    checkEq('in English too', 'Too many wrong answers: this link is locked. Try again in 15 min.',
      (await text(opage, '[data-testid=factor-message]')).trim());

    const fresh = await browser.newContext(phone);
    const fpage = await fresh.newPage();
    await fpage.goto(c.url);
    await fpage.locator('[data-testid=factor-message]').waitFor({ timeout: T });
    checkEq("the patient's first link, replaced by the new share, says it was revoked", '此链接已被撤销，无法再查看。',
      (await text(fpage, '[data-testid=factor-message]')).trim());

    check('the CT frames came as the stored HTJ2K and were decoded in the browser (OpenJPH WASM)',
      frameSyntaxes.has('1.2.840.10008.1.2.4.201'), JSON.stringify([...frameSyntaxes]));
    checkEq('no request of the app failed unexpectedly', [], failedRequests);
  } catch (error) {
    check('the browser run completes', false, error.stack || String(error));
  } finally {
    await browser.close();
  }
  finish();
}

main();
