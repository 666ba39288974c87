// SPDX-License-Identifier: Apache-2.0
// The OHIF viewer (the @ohif/app package's built dist/, served by
// ohif_static_server.js) in headless Chromium against a live cloudfilm:
//   1. the study list shows every stored study (patient name, date, modality,
//      description, instance count), names decoded from ISO_IR 100, GB18030
//      and UTF-8, and the QIDO answers carry the Chinese (ideographic) names;
//   2. the viewer displays a CT: the pixels of cornerstone's viewport canvas
//      are a real image (many gray levels, body brighter than the corners
//      of the field of view) and correlate with cloudfilm's own /rendered PNG
//      of the instance on screen;
//   3. no DICOMweb request of the viewer fails (status, URL and problem JSON
//      are reported if one does);
//   4. every request to cloudfilm carries "Authorization: Bearer $CF_TOKEN"
//      (the token of the server, exported by tests/integration/lib.sh), and
//      no request to OHIF's own origin does.
// The page sends the token itself, as OHIF does with its user's token: a
// script run before OHIF's adds the header to XMLHttpRequest and fetch calls
// to cloudfilm's origin (and only there). So the browser asks cloudfilm's CORS
// preflight for the Authorization header, as a deployed viewer would.
// (Playwright's request interception, page.route, would answer every CORS
// preflight itself, and cloudfilm's would go untested.)
// Screenshots are kept as artifacts in $CF_ARTIFACTS (default /tmp):
// ohif-study-list.png and ohif-ct.png (the latter also on failure).
//
// Usage: node ohif_test.js OHIF_URL CLOUDFILM_BASE MANIFEST_TSV STUDIES_TSV
//   MANIFEST_TSV: the manifest of `cloudfilm synth`;
//   STUDIES_TSV: study_uid <TAB> StudyDescription in UTF-8, as read from the
//   files by DCMTK (independent of cloudfilm's character set handling).
// Chromium: $CHROMIUM or /usr/bin/chromium (Debian package, see install-deps).
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { sendTokenTo } = require('./send_token');

const [ohifUrl, cloudfilmBase, manifestPath, studiesPath] = process.argv.slice(2);
if (!studiesPath) {
  console.error('usage: node ohif_test.js OHIF_URL CLOUDFILM_BASE MANIFEST_TSV STUDIES_TSV');
  process.exit(2);
}
const artifacts = process.env.CF_ARTIFACTS || '/tmp';
const listShot = path.join(artifacts, 'ohif-study-list.png');
const ctShot = path.join(artifacts, 'ohif-ct.png');
const LIST_TIMEOUT_MS = 30000;
const RENDER_TIMEOUT_MS = 60000;

const { check, finish } = require('./tap');
const token = process.env.CF_TOKEN || '';

// --- What was stored ---------------------------------------------------------------
const readTsv = (file) => {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0].split('\t');
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    return Object.fromEntries(header.map((name, i) => [name, cells[i]]));
  });
};
const manifest = readTsv(manifestPath);
const descriptions = new Map(readTsv(studiesPath).map((r) => [r.study_uid, r.description]));
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// OHIF's formatPN: the alphabetic group, first ^ as ", ", other ^ as spaces.
const formatPN = (pn) => pn.split('=')[0].replace('^', ', ').replace(/\^/g, ' ').trim();
const formatDA = (da) => `${da.slice(6, 8)}-${months[Number(da.slice(4, 6)) - 1]}-${da.slice(0, 4)}`;
const studies = new Map();
for (const row of manifest) {
  const study = studies.get(row.study_uid) || {
    uid: row.study_uid,
    patientName: row.patient_name,
    patientId: row.patient_id,
    charset: row.specific_character_set,
    modality: row.modality,
    date: row.study_date,
    description: descriptions.get(row.study_uid) || '',
    instances: 0,
  };
  study.instances += 1;
  studies.set(row.study_uid, study);
}
const expectedRows = [...studies.values()].map((s) => ({
  uid: s.uid,
  cells: [formatPN(s.patientName), formatDA(s.date), s.modality, s.description, String(s.instances)],
}));
// The CT to display: preferably a GB18030 one, so its Chinese description shows too.
const cts = [...studies.values()].filter((s) => s.modality === 'CT');
const ct = cts.find((s) => s.charset === 'GB18030') || cts[0];
if (!ct) {
  console.error('the manifest has no CT study');
  process.exit(2);
}

// --- Network and console watch -------------------------------------------------------
const dicomweb = `${cloudfilmBase.replace(/\/+$/, '')}/dicom-web`;
const cloudfilmOrigin = new URL(cloudfilmBase).origin;
const ohifOrigin = new URL(ohifUrl).origin;
const auth = { cloudfilm: 0, withoutToken: [], tokenToOhif: [] };
const failedRequests = [];
const consoleErrors = [];
const requestKinds = new Map();
const qidoStudies = [];
function kindOf(url) {
  const p = new URL(url).pathname.slice(new URL(dicomweb).pathname.length);
  if (/\/frames\/[\d,]+$/.test(p)) return 'frames';
  for (const k of ['metadata', 'thumbnail', 'rendered', 'bulkdata']) if (p.includes(`/${k}`)) return k;
  if (/\/(studies|series|instances)$/.test(p)) return `QIDO ${p.split('/').pop()}`;
  return 'other';
}
function watch(page) {
  page.on('request', (r) => {
    const origin = new URL(r.url()).origin;
    const sent = r.headers().authorization;
    if (origin === cloudfilmOrigin) {
      auth.cloudfilm += 1;
      if (sent !== `Bearer ${token}`) auth.withoutToken.push(`${r.method()} ${r.url()}: ${sent ? 'another token' : 'no token'}`);
    } else if (origin === ohifOrigin && sent) {
      auth.tokenToOhif.push(`${r.method()} ${r.url()}`);
    }
  });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text().replace(/\s*\n\s*/g, ' | ').slice(0, 500));
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (r.url().startsWith(dicomweb)) {
      failedRequests.push(`${r.method()} ${r.url()}: ${r.failure() ? r.failure().errorText : 'failed'}`);
    }
  });
  page.on('response', async (r) => {
    if (!r.url().startsWith(dicomweb)) return;
    const method = r.request().method();
    const key = `${method === 'GET' ? '' : `${method} `}${kindOf(r.url())} ${r.status()}`;
    requestKinds.set(key, (requestKinds.get(key) || 0) + 1);
    if (r.status() >= 400) {
      let body = '';
      try { body = (await r.text()).slice(0, 500); } catch { /* body gone with the page */ }
      failedRequests.push(`${method} ${r.url()} -> ${r.status()} ${body}`);
    } else if (method === 'GET' && kindOf(r.url()) === 'QIDO studies') {
      try { qidoStudies.push(...(await r.json())); } catch { /* not JSON: reported by OHIF */ }
    }
  });
}

// --- Pixels of the viewport showing the CT ----------------------------------------
// Runs in the page. Samples the 2D viewport canvas at the centres of an N x N
// grid of image pixels (mapped through cornerstone's image-to-world and
// world-to-canvas transforms), and the same grid of cloudfilm's /rendered PNG.
async function sampleViewport({ studyUid, n, withReference }) {
  const cs = window.cornerstone;
  if (!cs || !cs.getEnabledElements) return { state: 'cornerstone not loaded' };
  const ee = cs.getEnabledElements().find((e) => {
    const id = e.viewport && e.viewport.getCurrentImageId && e.viewport.getCurrentImageId();
    return id && id.includes(studyUid);
  });
  if (!ee) return { state: 'no viewport shows the study yet' };
  const vp = ee.viewport;
  const imageId = vp.getCurrentImageId();
  const plane = cs.metaData.get('imagePlaneModule', imageId);
  if (!plane || !plane.rows) return { state: 'image plane not known yet' };
  const canvas = vp.canvas;
  const scale = canvas.width / canvas.clientWidth;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  const sample = [];
  let chroma = 0;
  let outside = 0;
  for (let v = 0; v < n; v += 1) {
    for (let u = 0; u < n; u += 1) {
      const col = Math.floor(((u + 0.5) * plane.columns) / n);
      const row = Math.floor(((v + 0.5) * plane.rows) / n);
      const world = cs.utilities.imageToWorldCoords(imageId, [col + 0.5, row + 0.5]);
      const [x, y] = vp.worldToCanvas(world).map((c) => Math.floor(c * scale));
      if (x < 0 || y < 0 || x >= canvas.width || y >= canvas.height) {
        outside += 1;
        sample.push(0);
        continue;
      }
      const k = (y * canvas.width + x) * 4;
      const [r, g, b] = [pixels.data[k], pixels.data[k + 1], pixels.data[k + 2]];
      chroma = Math.max(chroma, Math.abs(r - g), Math.abs(g - b));
      sample.push(r);
    }
  }
  const result = {
    state: 'sampled',
    imageId,
    rows: plane.rows,
    columns: plane.columns,
    canvas: [canvas.width, canvas.height],
    cpuRendering: Boolean(vp.useCPURendering),
    outside,
    chroma,
    sample,
  };
  if (withReference) {
    const url = imageId.replace(/^wadors:/, '').replace(/\/frames\/\d+$/, '/rendered');
    const answer = await fetch(url, { headers: { Accept: 'image/png' } });
    if (!answer.ok) return { ...result, reference: { error: `GET ${url} -> ${answer.status}` } };
    const bitmap = await createImageBitmap(await answer.blob());
    const off = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = off.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const ref = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const refSample = [];
    for (let v = 0; v < n; v += 1) {
      for (let u = 0; u < n; u += 1) {
        const col = Math.floor(((u + 0.5) * bitmap.width) / n);
        const row = Math.floor(((v + 0.5) * bitmap.height) / n);
        refSample.push(ref[(row * bitmap.width + col) * 4]);
      }
    }
    result.reference = { url, width: bitmap.width, height: bitmap.height, sample: refSample };
  }
  return result;
}

const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
function correlation(a, b) {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i += 1) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa && sbb ? sab / Math.sqrt(saa * sbb) : 0;
}
// Mean of the grid cells in [from, to) x [from, to), as fractions of n.
function region(sample, n, from, to) {
  const values = [];
  for (let v = Math.floor(from[1] * n); v < Math.floor(to[1] * n); v += 1) {
    for (let u = Math.floor(from[0] * n); u < Math.floor(to[0] * n); u += 1) values.push(sample[v * n + u]);
  }
  return mean(values);
}

async function pollUntil(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last.done) return last;
    if (Date.now() > deadline) throw new Error(`timeout after ${timeoutMs / 1000} s waiting for ${what}: ${last.why}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

// Closes OHIF's onboarding tour if it shows (it covers part of the viewport).
async function skipTour(page) {
  const skip = page.getByText('Skip all', { exact: true });
  if (await skip.isVisible().catch(() => false)) await skip.click().catch(() => {});
}

async function studyList(page) {
  await page.goto(`${ohifUrl}/`, { waitUntil: 'domcontentloaded' });
  const found = await pollUntil('the study list rows', LIST_TIMEOUT_MS, async () => {
    const rows = await page.$$eval('tr[aria-selected]', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim())));
    return rows.length >= expectedRows.length
      ? { done: true, rows }
      : { why: `${rows.length} of ${expectedRows.length} rows; page says: ${(await page.innerText('body')).replace(/\s+/g, ' ').slice(0, 300)}` };
  });
  await page.screenshot({ path: listShot });
  console.log(`# study list screenshot: ${listShot}`);
  check('the study list has one row per stored study', found.rows.length === expectedRows.length,
    `${found.rows.length} rows for ${expectedRows.length} studies`);
  for (const { cells } of expectedRows) {
    const match = found.rows.find((row) =>
      row[0] === cells[0] && row[1].startsWith(cells[1]) && row[2] === cells[2] && row[3] === cells[3] && row[4] === cells[4]);
    check(`study list row: ${cells.join(' | ')}`, Boolean(match),
      `rows shown: ${JSON.stringify(found.rows.map((r) => r.slice(0, 5)))}`);
  }
  // OHIF shows only the alphabetic group; the QIDO JSON it received must
  // still carry the ideographic names as stored.
  const answered = (uid) => qidoStudies.some((d) => d['0020000D'] && d['0020000D'].Value[0] === uid);
  await pollUntil('the QIDO answers to be read', 5000, async () => (
    [...studies.keys()].every(answered) ? { done: true } : { why: 'some studies missing from the QIDO answers seen' }));
  for (const s of studies.values()) {
    const ideographic = s.patientName.split('=')[1];
    if (!ideographic) continue;
    const answer = qidoStudies.find((d) => d['0020000D'] && d['0020000D'].Value[0] === s.uid);
    const pn = answer && answer['00100010'] && answer['00100010'].Value && answer['00100010'].Value[0];
    check(`QIDO answer to OHIF has the ideographic name ${ideographic} (${s.modality} study, ${s.charset})`,
      Boolean(pn) && pn.Ideographic === ideographic, JSON.stringify(pn));
  }
}

async function viewer(page) {
  await page.goto(`${ohifUrl}/viewer?StudyInstanceUIDs=${ct.uid}`, { waitUntil: 'domcontentloaded' });
  const n = 64;
  await pollUntil('the CT on the viewport canvas', RENDER_TIMEOUT_MS, async () => {
    const s = await page.evaluate(sampleViewport, { studyUid: ct.uid, n, withReference: false });
    if (s.state !== 'sampled') return { why: s.state };
    const levels = new Set(s.sample).size;
    return levels >= 32 ? { done: true } : { why: `viewport shows ${levels} gray levels so far` };
  });
  await skipTour(page);
  // Rendering settled: sample again, with the reference image.
  await page.waitForTimeout(500);
  const s = await page.evaluate(sampleViewport, { studyUid: ct.uid, n, withReference: true });
  if (s.state !== 'sampled') throw new Error(`the CT left the viewport: ${s.state}`);
  await page.screenshot({ path: ctShot });
  console.log(`# CT screenshot: ${ctShot}`);
  console.log(`# viewport: ${s.canvas.join('x')} canvas, ${s.columns}x${s.rows} image, ` +
    `${s.cpuRendering ? 'CPU' : 'WebGL'} rendering, showing ${s.imageId}`);
  check('the displayed image belongs to the CT series', manifest.some((r) =>
    r.study_uid === ct.uid && s.imageId.includes(`/series/${r.series_uid}/instances/${r.sop_uid}/`)), s.imageId);
  check('the whole image lies on the canvas', s.outside === 0, `${s.outside} of ${n * n} samples outside`);
  check('the viewport is grayscale', s.chroma <= 2, `max channel difference ${s.chroma}`);
  const levels = new Set(s.sample).size;
  check('the viewport shows many gray levels', levels >= 64, `${levels} distinct levels in ${n * n} samples`);
  const centre = region(s.sample, n, [0.375, 0.375], [0.625, 0.625]);
  const corners = mean([[0, 0], [0.875, 0], [0, 0.875], [0.875, 0.875]].map(([x, y]) =>
    region(s.sample, n, [x, y], [x + 0.125, y + 0.125])));
  check('the body (centre) is brighter than the air in the corners', centre > corners + 40,
    `centre mean ${centre.toFixed(1)}, corner mean ${corners.toFixed(1)}`);
  if (s.reference.error) {
    check('cloudfilm renders the displayed instance', false, s.reference.error);
  } else {
    const r = correlation(s.sample, s.reference.sample);
    const meanDiff = Math.abs(mean(s.sample) - mean(s.reference.sample));
    check('the viewport correlates with cloudfilm\'s /rendered of the same instance', r >= 0.95,
      `Pearson r = ${r.toFixed(4)}`);
    check('the viewport and /rendered have the same brightness', meanDiff <= 12,
      `means ${mean(s.sample).toFixed(1)} and ${mean(s.reference.sample).toFixed(1)}`);
    console.log(`# correlation with ${s.reference.url}: r = ${r.toFixed(4)}`);
  }
  const text = await page.innerText('body');
  check(`the viewer shows the study description ${ct.description}`, text.includes(ct.description));
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
  let page;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
    if (token) await context.addInitScript(sendTokenTo, { origin: cloudfilmOrigin, token });
    page = await context.newPage();
    watch(page);
    await studyList(page);
    await viewer(page);
  } catch (e) {
    check('OHIF test ran to the end', false, e.message);
    if (page) {
      await page.screenshot({ path: ctShot }).catch(() => {});
      console.log(`# screenshot at failure: ${ctShot}`);
    }
  } finally {
    await browser.close();
  }
  console.log('# DICOMweb requests from the page (OHIF\'s, and the reference /rendered): ' +
    `${[...requestKinds].map(([k, c]) => `${k} x${c}`).join(', ')}`);
  check('no DICOMweb request of OHIF failed', failedRequests.length === 0, `\n  ${failedRequests.join('\n  ')}`);
  if (token) {
    check(`every request to cloudfilm (${auth.cloudfilm}) carries the token`,
      auth.cloudfilm > 0 && auth.withoutToken.length === 0, `\n  ${auth.withoutToken.slice(0, 20).join('\n  ')}`);
    check('no request to OHIF\'s origin carries the token', auth.tokenToOhif.length === 0,
      `\n  ${auth.tokenToOhif.slice(0, 20).join('\n  ')}`);
  } else {
    console.log('# CF_TOKEN is not set: requests to cloudfilm are anonymous');
  }
  if (consoleErrors.length) console.log(`# browser console errors:\n#   ${consoleErrors.join('\n#   ')}`);
  finish();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
