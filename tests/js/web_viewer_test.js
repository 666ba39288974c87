// SPDX-License-Identifier: Apache-2.0
// The doctor viewer (web/src/viewer) in headless Chromium at 1600 x 1000,
// against a live cloudfilm serving the built app
// (tests/integration/web_viewer_test.sh stores a CT of two series and an MR
// of the same patient, a report of the CT, a doctor account and a doctor
// share first):
//   0. an account with an authenticator: the password, then the code;
//   1. the doctor signs in with the password form; a search by a fragment of
//      the patient's Chinese name lists both studies, under the Chinese name;
//   2. the IHE IID-style launch URL /viewer?patientID=…&accession=… opens
//      the CT directly; the viewport canvas shows a real image (not blank,
//      many grey levels, matching cloudfilm's own /rendered image of the
//      same slice at the same window); the wheel scrolls the stack;
//   3. a length measurement between two canvas points reads the distance
//      PixelSpacing gives (within 1%); a rectangle ROI's mean and standard
//      deviation in HU equal those computed here from the stored pixels of
//      the same region (slope and intercept applied);
//   4. the tag panel shows the PatientID and the SOP Instance UID of the
//      image on screen, and its search narrows the rows;
//   5. the report text is beside the images; the MR is listed as a prior
//      exam and opens side by side;
//   6. layout 2 x 2, the CT's second series dragged (HTML5 drag and drop)
//      onto the fourth viewport shows there;
//   7. a doctor share link: the patient app offers the desktop viewer, which
//      opens the shared study with the share session alone (no account).
// Screenshots in $CF_ARTIFACTS (default /tmp): viewer-list.png,
// viewer-measure.png, viewer-2x2.png, viewer-share.png.
//
// Usage: node web_viewer_test.js CASE_JSON
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { check, checkEq, finish } = require('./tap');

const c = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const artifacts = process.env.CF_ARTIFACTS || '/tmp';
const shot = (name) => path.join(artifacts, name);
const T = 30000;
const desktop = { viewport: { width: 1600, height: 1000 }, locale: 'zh-CN' };

// --- the stored pixels ------------------------------------------------------
// The synthetic files are explicit VR little endian, native 16-bit: the
// value of Pixel Data (7FE0,0010) OW is found by its element header.
function pixelsOf(file) {
  const bytes = fs.readFileSync(file);
  const header = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0x00, 0x00]);
  const at = bytes.lastIndexOf(header);
  if (at < 0) throw new Error(`${file}: no native Pixel Data`);
  const length = bytes.readUInt32LE(at + 8);
  const start = at + 12;
  const out = new Array(length / 2);
  for (let i = 0; i < out.length; i++) out[i] = c.pixel_representation ? bytes.readInt16LE(start + 2 * i) : bytes.readUInt16LE(start + 2 * i);
  return out;
}

// Mean and standard deviation (population, as Cornerstone's) in HU of the
// pixels whose centres lie in [c0, c1] x [r0, r1] (continuous image
// coordinates, pixel centres at integers).
function regionStats(pixels, columns, [c0, c1], [r0, r1]) {
  const values = [];
  for (let r = Math.ceil(r0); r <= Math.floor(r1); r++) {
    for (let col = Math.ceil(c0); col <= Math.floor(c1); col++) {
      values.push(pixels[r * columns + col] * c.slope + c.intercept);
    }
  }
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / values.length);
  return { mean, sd, n: values.length };
}

// --- the page -----------------------------------------------------------------
// Runs in the page: the viewport's state, its canvas's position on the page,
// and a sample of its canvas (grey levels; an n x n grid at image pixel
// centres, and the same grid of /rendered at the same window).
async function viewportState({ slot, n, reference }) {
  const el = document.querySelector(`[data-testid=viewport][data-slot="${slot}"]`);
  const canvas = el && el.querySelector('canvas');
  if (!el || !canvas || !el.dataset.imageRect || !el.dataset.imageId) return { state: 'not rendered' };
  const box = canvas.getBoundingClientRect();
  const [rx, ry, rw, rh] = el.dataset.imageRect.split(',').map(Number);
  const scale = canvas.width / canvas.clientWidth;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const levels = new Set();
  for (let k = 0; k < pixels.length; k += 4 * 13) levels.add(pixels[k]);
  const sample = [];
  for (let v = 0; v < n; v++) {
    for (let u = 0; u < n; u++) {
      const x = Math.floor((rx + ((u + 0.5) * rw) / n) * scale);
      const y = Math.floor((ry + ((v + 0.5) * rh) / n) * scale);
      sample.push(pixels[(y * canvas.width + x) * 4]);
    }
  }
  const result = {
    state: 'sampled',
    canvas: { x: box.x, y: box.y, width: box.width, height: box.height },
    rect: [rx, ry, rw, rh],
    imageId: el.dataset.imageId,
    index: Number(el.dataset.index),
    count: Number(el.dataset.count),
    series: el.dataset.series,
    voi: el.dataset.voi,
    zoom: Number(el.dataset.zoom),
    playing: el.dataset.playing === 'true',
    levels: levels.size,
    sample,
  };
  if (reference && el.dataset.voi) {
    const [lower, upper] = el.dataset.voi.split(',').map(Number);
    const url = `${el.dataset.imageId.replace(/^wadors:/, '').replace(/\/frames\/\d+$/, '/rendered')}?window=${(lower + upper) / 2},${upper - lower}`;
    const answer = await fetch(url, { headers: { Accept: 'image/png' } });
    if (!answer.ok) return { ...result, reference: { error: `${answer.status}` } };
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

// RFC 6238 with SHA-1, 6 digits, 30 s: what an authenticator shows.
function totp(secretBase32, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secretBase32.replace(/=+$/, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = require('crypto').createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const sopOf = (imageId) => /\/instances\/([0-9.]+)\/frames\//.exec(imageId || '')?.[1];

async function rendered(page, slot, reference = false) {
  return pollUntil(`viewport ${slot} rendered`, T, async () => {
    const s = await page.evaluate(viewportState, { slot, n: 16, reference });
    return s.state === 'sampled' && s.levels > 1 ? s : null;
  });
}

// Drags with the left button from one canvas point to another (CSS pixels
// relative to the canvas), in small steps as a hand would.
async function drag(page, canvas, from, to) {
  await page.mouse.move(canvas.x + from[0], canvas.y + from[1]);
  await page.mouse.down();
  await page.mouse.move(canvas.x + to[0], canvas.y + to[1], { steps: 12 });
  await page.mouse.up();
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-gl=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
  const problems = [];
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
      const expected = (r.status() === 401 && /\/api\/auth\/(me|login)$/.test(r.url())) || r.url().includes('/api/share-sessions');
      if (r.status() >= 400 && !expected) problems.push(`${who}: ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    page.on('pageerror', (e) => problems.push(`${who}: page error ${e.message}`));
  };
  try {
    // --- 0. an account with an authenticator: the form asks for the code -------
    const second = await browser.newContext(desktop);
    const sec = await second.newPage();
    watch(sec, 'totp');
    await sec.goto(`${c.base}/viewer`);
    await sec.fill('[data-testid=login]', c.totp_login);
    await sec.fill('[data-testid=password]', c.password);
    check('the code field is hidden until asked for', !(await sec.locator('[data-testid=totp]').isVisible()));
    await sec.click('[data-testid=sign-in]');
    await sec.locator('[data-testid=totp]').waitFor({ state: 'visible', timeout: T });
    checkEq('a password alone: the form asks for the authenticator code', '请输入身份验证器上的 6 位动态验证码。',
      (await sec.locator('[data-testid=login-status]').innerText()).trim());
    // Not the code that confirmed the enrolment (a replay is refused): the
    // next step's, which the server accepts for clock drift.
    const now = Math.floor(Date.now() / 30000);
    await sec.fill('[data-testid=totp]', totp(c.totp_secret, now > c.totp_used_step ? now : now + 1));
    await sec.click('[data-testid=sign-in]');
    await sec.locator('[data-testid=search]').waitFor({ timeout: T });
    check('with the code the doctor is signed in', (await sec.locator('[data-testid=me]').innerText()).includes(c.totp_login));
    await second.close();

    // --- 1. sign in, search by a fragment of the Chinese name -----------------
    const doctor = await browser.newContext(desktop);
    const page = await doctor.newPage();
    watch(page, 'doctor');
    await page.goto(`${c.base}/viewer`);
    await page.locator('[data-testid=login-form]').waitFor({ timeout: T });
    await page.fill('[data-testid=login]', c.login);
    await page.fill('[data-testid=password]', 'not the password');
    await page.click('[data-testid=sign-in]');
    await page.locator('[data-testid=login-status].error').waitFor({ timeout: T });
    check('a wrong password is refused with a message', (await page.locator('[data-testid=login-status]').innerText()).length > 0);
    await page.fill('[data-testid=password]', c.password);
    await page.click('[data-testid=sign-in]');
    await page.locator('[data-testid=search]').waitFor({ timeout: T });
    check('signed in as the doctor', (await page.locator('[data-testid=me]').innerText()).includes(c.login));
    await page.fill('[data-testid=q-name]', c.name_fragment);
    await page.click('[data-testid=search-submit]');
    await page.waitForURL(/name=/, { timeout: T });
    await page.locator('[data-testid=study-row]').first().waitFor({ timeout: T });
    const rows = await page.locator('[data-testid=study-row]').evaluateAll((trs) =>
      trs.map((tr) => ({ study: tr.dataset.study, text: tr.innerText })));
    check(`the search "${c.name_fragment}" lists the CT`, rows.some((r) => r.study === c.ct_study), JSON.stringify(rows));
    check('and the MR of the same patient', rows.some((r) => r.study === c.mr_study), JSON.stringify(rows));
    check("under the patient's Chinese name", rows.every((r) => r.text.includes(c.name)), JSON.stringify(rows));
    await page.fill('[data-testid=q-name]', 'zzzznobody');
    await page.click('[data-testid=search-submit]');
    await page.locator('[data-testid=no-studies]').waitFor({ timeout: T });
    check('a name nobody has lists nothing', true);
    await page.goto(`${c.base}/viewer?name=${encodeURIComponent(c.name_fragment)}&modality=MR`);
    await page.locator('[data-testid=study-row]').first().waitFor({ timeout: T });
    checkEq('the modality filter keeps the MR only', [c.mr_study],
      await page.locator('[data-testid=study-row]').evaluateAll((trs) => trs.map((tr) => tr.dataset.study)));
    await page.goto(`${c.base}/viewer?name=${encodeURIComponent(c.name_fragment)}`);
    await page.locator('[data-testid=study-row]').first().waitFor({ timeout: T });
    await page.screenshot({ path: shot('viewer-list.png') });

    // --- 2. launch URL: the CT on the canvas; the wheel scrolls ----------------
    await page.goto(`${c.base}/viewer?patientID=${encodeURIComponent(c.patient_id)}&accession=${encodeURIComponent(c.ct_accession)}`);
    await page.locator('[data-testid=banner] [data-testid=patient-name]').waitFor({ timeout: T });
    checkEq('the launch URL opens the study: the banner names the patient', c.name,
      (await page.locator('[data-testid=banner] [data-testid=patient-name]').innerText()).trim());
    let v0 = await rendered(page, 0, true);
    checkEq('the first viewport shows the CT\'s first series', c.ct_series[0], v0.series);
    checkEq('all its slices are in the stack', c.ct_slices, v0.count);
    await pollUntil('the whole stack in the cache', T, () =>
      page.evaluate((n) => Number(document.querySelector('[data-testid=viewport][data-slot="0"]').dataset.loaded) === n, c.ct_slices));
    check('the whole stack loads in the background', true);
    check('the canvas is not blank: many grey levels', v0.levels >= 32, `${v0.levels} levels`);
    check('the canvas shows the slice cloudfilm renders at that window', v0.reference && v0.reference.sample
      && meanAbsDiff(v0.sample, v0.reference.sample) < 12, JSON.stringify({ voi: v0.voi, diff: v0.reference && v0.reference.sample && meanAbsDiff(v0.sample, v0.reference.sample) }));
    const before = v0.index;
    await page.mouse.move(v0.canvas.x + v0.canvas.width / 2, v0.canvas.y + v0.canvas.height / 2);
    await page.mouse.wheel(0, 120);
    const scrolled = await pollUntil('the wheel to scroll', T, async () => {
      const s = await page.evaluate(viewportState, { slot: 0, n: 16 });
      return s.state === 'sampled' && s.index !== before ? s : null;
    });
    checkEq('one wheel notch shows the next slice', before + 1, scrolled.index);
    check('another image is on screen', sopOf(scrolled.imageId) !== sopOf(v0.imageId) && meanAbsDiff(scrolled.sample, v0.sample) > 0.5);
    await page.mouse.click(v0.canvas.x + v0.canvas.width / 2, v0.canvas.y + v0.canvas.height / 2);
    await page.keyboard.press('ArrowUp');
    await pollUntil('the arrow key to scroll back', T, async () => (await page.evaluate(viewportState, { slot: 0, n: 4 })).index === before);
    check('the arrow key scrolls back', true);
    await page.selectOption('[data-testid=preset]', 'lung');
    const lung = await pollUntil('the lung window', T, async () => {
      const s = await page.evaluate(viewportState, { slot: 0, n: 16 });
      return s.voi === '-1350,150' ? s : null;
    });
    check('the lung preset sets the window -600/1500', lung.voi === '-1350,150', lung.voi);
    await page.click('[data-testid=reset]');
    const centre = [v0.canvas.width / 2, v0.canvas.height / 2];
    const plain = await pollUntil('the reset window', T, async () => {
      const s = await page.evaluate(viewportState, { slot: 0, n: 4 });
      return s.voi !== lung.voi ? s : null;
    });
    await drag(page, v0.canvas, centre, [centre[0] + 120, centre[1] + 60]);
    const dragged = await pollUntil('window/level by dragging', T, async () => {
      const s = await page.evaluate(viewportState, { slot: 0, n: 4 });
      return s.voi !== plain.voi ? s : null;
    });
    const width = (voi) => { const [l, u] = voi.split(',').map(Number); return u - l; };
    check('a left drag (window/level) widens the window', width(dragged.voi) > width(plain.voi), `${plain.voi} -> ${dragged.voi}`);
    await page.mouse.move(v0.canvas.x + centre[0], v0.canvas.y + centre[1]);
    await page.mouse.down({ button: 'right' });
    await page.mouse.move(v0.canvas.x + centre[0], v0.canvas.y + centre[1] - 150, { steps: 10 });
    await page.mouse.up({ button: 'right' });
    const zoomed = await pollUntil('zoom by the right button', T, async () => {
      const s = await page.evaluate(viewportState, { slot: 0, n: 4 });
      return Math.abs(s.zoom - 1) > 0.05 ? s : null;
    });
    check('a right drag zooms', Math.abs(zoomed.zoom - 1) > 0.05, String(zoomed.zoom));
    await page.click('[data-testid=reset]');
    const back = await pollUntil('reset', T, async () => {
      const s = await page.evaluate(viewportState, { slot: 0, n: 4 });
      return Math.abs(s.zoom - 1) < 0.001 && s.voi === plain.voi ? s : null;
    });
    check('reset restores the zoom and the window', Boolean(back));
    await page.click('[data-testid=cine]');
    const seen = new Set();
    await pollUntil('the cine to play', T, async () => {
      const s = await page.evaluate(viewportState, { slot: 0, n: 1 });
      seen.add(s.index);
      return seen.size >= 4 && s.playing;
    });
    await page.click('[data-testid=cine]');
    const paused = await page.evaluate(viewportState, { slot: 0, n: 1 });
    check('cine plays through the stack and pauses', seen.size >= 4 && !paused.playing, `${seen.size} images, playing ${paused.playing}`);
    await page.click('[data-testid=reset]');
    await page.mouse.click(v0.canvas.x + centre[0], v0.canvas.y + centre[1]);
    await page.keyboard.press('Home');
    for (let i = 0; i < before; i++) await page.keyboard.press('ArrowDown');
    await pollUntil('back to the middle slice', T, async () => (await page.evaluate(viewportState, { slot: 0, n: 1 })).index === before);

    // --- 3. measurements ------------------------------------------------------
    v0 = await rendered(page, 0);
    const [rx, ry, rw, rh] = v0.rect;
    const toCanvas = (col, row) => [Math.round(rx + ((col + 0.5) * rw) / c.columns), Math.round(ry + ((row + 0.5) * rh) / c.rows)];
    const toImage = ([x, y]) => [((x - rx) * c.columns) / rw - 0.5, ((y - ry) * c.rows) / rh - 0.5];
    await page.click('[data-testid=tool-length]');
    const a = toCanvas(60, 100);
    const b = toCanvas(190, 150);
    await drag(page, v0.canvas, a, b);
    const length = await pollUntil('the length in the list', T, async () => {
      const li = page.locator('[data-testid=measurement][data-kind=length]').first();
      return (await li.count()) && (await li.getAttribute('data-length')) ? li : null;
    });
    const [ia, ib] = [toImage(a), toImage(b)];
    const expectedMm = Math.hypot((ib[0] - ia[0]) * c.spacing[1], (ib[1] - ia[1]) * c.spacing[0]);
    const measuredMm = Number(await length.getAttribute('data-length'));
    check(`the length reads ${expectedMm.toFixed(2)} mm from PixelSpacing, within 1%`,
      Math.abs(measuredMm - expectedMm) / expectedMm < 0.01, `${measuredMm} ${await length.getAttribute('data-unit')}`);
    checkEq('in mm', 'mm', await length.getAttribute('data-unit'));
    check('the list shows the value', (await length.innerText()).includes(measuredMm.toFixed(2)), await length.innerText());

    await page.click('[data-testid=tool-rectangle]');
    const p = toCanvas(100.3, 140.3);
    const q = toCanvas(139.7, 170.7);
    await drag(page, v0.canvas, p, q);
    const roi = await pollUntil('the ROI stats in the list', T, async () => {
      const li = page.locator('[data-testid=measurement][data-kind=rectangle]').first();
      return (await li.count()) && (await li.getAttribute('data-mean')) ? li : null;
    });
    const sop = sopOf(v0.imageId);
    const file = c.files[sop];
    const [ip, iq] = [toImage(p), toImage(q)];
    const stats = regionStats(pixelsOf(file), c.columns, [Math.min(ip[0], iq[0]), Math.max(ip[0], iq[0])], [Math.min(ip[1], iq[1]), Math.max(ip[1], iq[1])]);
    const roiMean = Number(await roi.getAttribute('data-mean'));
    const roiSd = Number(await roi.getAttribute('data-std'));
    check(`the ROI mean is ${stats.mean.toFixed(2)} HU as computed from the stored pixels (${stats.n} pixels), within 0.1 HU`,
      Math.abs(roiMean - stats.mean) <= 0.1, `${roiMean}`);
    check(`the ROI SD is ${stats.sd.toFixed(2)} HU, within 1%`, Math.abs(roiSd - stats.sd) <= 0.01 * stats.sd, `${roiSd}`);
    checkEq('in HU', 'HU', await roi.getAttribute('data-modality-unit'));
    await page.click('[data-testid=tool-angle]');
    // The first arm's end, then the vertex (the drag), then the second arm.
    await drag(page, v0.canvas, toCanvas(200, 200), toCanvas(128, 200));
    await page.mouse.click(v0.canvas.x + toCanvas(128, 128)[0], v0.canvas.y + toCanvas(128, 128)[1]);
    const angle = await pollUntil('the angle in the list', 10000, async () => {
      const li = page.locator('[data-testid=measurement][data-kind=angle]').first();
      return (await li.count()) && (await li.getAttribute('data-angle')) ? li : null;
    }).catch(() => null);
    check('an angle of 90° between a horizontal and a vertical arm', angle && Math.abs(Number(await angle.getAttribute('data-angle')) - 90) < 1.5,
      angle ? await angle.getAttribute('data-angle') : 'no angle');
    await page.screenshot({ path: shot('viewer-measure.png') });
    await page.click('[data-testid=tool-windowLevel]');

    // --- 4. the tag panel -------------------------------------------------------
    await page.click('[data-testid=tab-tags]');
    await page.locator('[data-testid=tags] tr[data-tag="00100020"]').waitFor({ timeout: T });
    const onScreen = sopOf((await page.evaluate(viewportState, { slot: 0, n: 1 })).imageId);
    const tagValue = async (tag) => (await page.locator(`[data-testid=tags] tr[data-tag="${tag}"] td.value`).first().innerText()).trim();
    checkEq('the tag panel shows the PatientID', c.patient_id, await tagValue('00100020'));
    checkEq('and the SOP Instance UID of the image on screen', onScreen, await tagValue('00080018'));
    check('with keywords', (await page.locator('[data-testid=tags] tr[data-tag="00280030"]').innerText()).includes('PixelSpacing'));
    await page.fill('[data-testid=tag-filter]', 'rescale');
    const filtered = await page.locator('[data-testid=tags] tr[data-tag]').evaluateAll((trs) => trs.map((tr) => tr.dataset.tag));
    checkEq('the search narrows the rows to the rescale attributes', ['00281052', '00281053', '00281054'], filtered);

    // --- 5. report and prior -------------------------------------------------------
    await page.click('[data-testid=tab-report]');
    const report = await page.locator('[data-testid=report]').first().innerText({ timeout: T });
    check('the report text is beside the images', report.includes(c.report_text) && report.includes(c.conclusion), report);
    await page.click('[data-testid=tab-priors]');
    await page.locator('[data-testid=prior]').first().waitFor({ timeout: T });
    checkEq('the MR is listed as the prior exam', [c.mr_study],
      await page.locator('[data-testid=prior]').evaluateAll((lis) => lis.map((li) => li.dataset.study)));
    await page.click(`[data-testid=prior][data-study="${c.mr_study}"] [data-testid=open-prior]`);
    const v1 = await rendered(page, 1);
    check('the prior opens side by side: an MR series in the second viewport', c.mr_series.includes(v1.series), v1.series);
    check('its image is not blank', v1.levels >= 16, `${v1.levels}`);

    // --- 6. 2 x 2, drag a series onto the fourth viewport ---------------------------
    await page.click('[data-testid=layout-2x2]');
    checkEq('four viewports', 4, await page.locator('[data-testid=viewport]').count());
    await page.dragAndDrop(`[data-testid=series][data-series="${c.ct_series[1]}"]`, '[data-testid=viewport][data-slot="3"]');
    const v3 = await rendered(page, 3);
    checkEq('the dragged series shows in the fourth viewport', c.ct_series[1], v3.series);
    check('a real image there too', v3.levels >= 32, `${v3.levels}`);
    const v0again = await rendered(page, 0);
    checkEq('the first viewport keeps its series', c.ct_series[0], v0again.series);
    await page.screenshot({ path: shot('viewer-2x2.png') });
    await page.click('[data-testid=lang]');
    await page.locator('[data-testid=tab-report]:has-text("Report")').waitFor({ timeout: T });
    check('the English switch relabels the page', true);
    await page.click('[data-testid=lang]');
    await doctor.close();

    // --- 7. from a doctor share: the desktop viewer under the share session -----------
    const shared = await browser.newContext(desktop);
    const sp = await shared.newPage();
    watch(sp, 'share');
    await sp.goto(c.doctor_share_url);
    const open = sp.locator(`[data-testid=open-viewer][href*="${c.ct_study}"]`);
    await open.waitFor({ timeout: T });
    await open.click();
    await sp.waitForURL(/\/viewer\?study=/, { timeout: T });
    await sp.locator('[data-testid=banner] [data-testid=patient-name]').waitFor({ timeout: T });
    const sv = await rendered(sp, 0);
    checkEq('the doctor share opens the CT in the desktop viewer without an account', c.ct_series[0], sv.series);
    check('the header says it is a share session', (await sp.locator('[data-testid=me]').innerText()).length > 0);
    await sp.screenshot({ path: shot('viewer-share.png') });
    await sp.goto(`${c.base}/viewer`);
    await sp.locator('[data-testid=study-row]').first().waitFor({ timeout: T });
    checkEq("the share session's list holds the shared exam only", [c.ct_study],
      await sp.locator('[data-testid=study-row]').evaluateAll((trs) => trs.map((tr) => tr.dataset.study)));
    await shared.close();
  } catch (error) {
    check('browser flow', false, error.stack || String(error));
  } finally {
    await browser.close();
  }
  checkEq('frames came as the archive keeps them: HTJ2K lossless, decoded in the browser', ['1.2.840.10008.1.2.4.201'], [...frameSyntaxes]);
  checkEq('no failed request and no page error', [], problems);
  finish();
}

main();
