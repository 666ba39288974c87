// SPDX-License-Identifier: Apache-2.0
// Time to first image and to a fully loaded stack, in headless Chromium
// with the link throttled through the DevTools protocol (default 20 Mbit/s
// both ways, 40 ms latency), for the patient app (/s/{token}) and for OHIF
// (the @ohif/app build of tests/js) against the same cloudfilm and study.
// Every run gets a fresh browser context: nothing cached.
//
// Patient app, from the QR URL: navigation -> factor typed -> exam page;
// then from the tap on the series: first pixels (the server's rendered
// image), first image decoded by Cornerstone3D in the viewport, and the
// whole stack in the browser (data-loaded == data-count).
// OHIF, from navigation to /viewer?StudyInstanceUIDs=: first image (a
// viewport reports a loaded image) and the whole stack (every instance's
// frame answered; OHIF prefetches the displayed stack).
// "Link use" is the bytes of frame answers over the time from the first
// frame request to the last frame answer, as a fraction of the link's rate.
//
// Usage: node load_times.js BASE SHARE_URL FACTOR STUDY_UID OHIF_URL RUNS TOKEN
// Prints one JSON line per run and a table of medians.
'use strict';

const path = require('path');
const { chromium } = require(path.join(__dirname, '../../tests/js/node_modules/playwright-core'));
// OHIF on its own origin sends the token to cloudfilm, as in tests/js/ohif_test.js.
const { sendTokenTo } = require(path.join(__dirname, '../../tests/js/send_token'));

const [base, shareUrl, factor, studyUid, ohifUrl, runsArg, token] = process.argv.slice(2);
if (!token) {
  console.error('usage: node load_times.js BASE SHARE_URL FACTOR STUDY_UID OHIF_URL RUNS TOKEN');
  process.exit(2);
}
const runs = Number(runsArg);
const mbit = Number(process.env.LINK_MBIT || 20);
const latencyMs = Number(process.env.LINK_LATENCY_MS || 40);
const readMs = Number(process.env.READ_MS || 0);
const kTimeout = 600000;

// Counts the image answers (frames, rendered, instances) seen by the page.
async function watchNetwork(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: latencyMs,
    downloadThroughput: (mbit * 1e6) / 8,
    uploadThroughput: (mbit * 1e6) / 8,
  });
  const urls = new Map();
  const stats = { bytes: 0, frameBytes: 0, firstFrameRequest: 0, lastFrameAnswer: 0, frames: 0, all: 0 };
  const isImage = (u) => /\/frames\/|\/rendered|\/thumbnail/.test(u);
  cdp.on('Network.requestWillBeSent', (e) => {
    urls.set(e.requestId, e.request.url);
    if (e.request.url.includes('/frames/') && !stats.firstFrameRequest) stats.firstFrameRequest = Date.now();
  });
  cdp.on('Network.loadingFinished', (e) => {
    const url = urls.get(e.requestId) || '';
    stats.all += e.encodedDataLength;
    if (!isImage(url)) return;
    stats.bytes += e.encodedDataLength;
    if (!url.includes('/frames/')) return;
    stats.frames++;
    stats.frameBytes += e.encodedDataLength;
    stats.lastFrameAnswer = Date.now();
  });
  return stats;
}

function linkUse(stats) {
  const seconds = (stats.lastFrameAnswer - stats.firstFrameRequest) / 1000;
  return seconds > 0 ? (stats.frameBytes * 8) / seconds / (mbit * 1e6) : 0;
}

async function patientRun(browser) {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  const stats = await watchNetwork(context, page);
  const t0 = Date.now();
  await page.goto(shareUrl);
  await page.locator('[data-testid=factor-input]').waitFor({ timeout: kTimeout });
  const tFactor = Date.now();
  await page.fill('[data-testid=factor-input]', factor);
  await page.click('[data-testid=factor-submit]');
  const series = page.locator(`[data-study="${studyUid}"] [data-testid=series]`).first();
  await series.waitFor({ timeout: kTimeout });
  const tExam = Date.now();
  // READ_MS: how long the patient reads the report before tapping (the
  // viewer's code loads meanwhile); 0 taps at once, the worst case.
  if (readMs > 0) await page.waitForTimeout(readMs);
  await series.click();
  const tTap = Date.now();
  await page.waitForFunction(() => {
    const img = document.querySelector('img.placeholder');
    const vp = document.querySelector('[data-testid=viewport]');
    return (img && img.complete && img.naturalWidth > 0) || (vp && vp.dataset.rendered);
  }, null, { timeout: kTimeout, polling: 10 });
  const tPixels = Date.now();
  await page.waitForFunction(() => {
    const vp = document.querySelector('[data-testid=viewport]');
    return vp && vp.dataset.rendered !== undefined && vp.dataset.rendered !== '';
  }, null, { timeout: kTimeout, polling: 10 });
  const tDecoded = Date.now();
  await page.waitForFunction(() => {
    const vp = document.querySelector('[data-testid=viewport]');
    return vp && Number(vp.dataset.count) > 0 && vp.dataset.loaded === vp.dataset.count;
  }, null, { timeout: kTimeout, polling: 50 });
  const tFull = Date.now();
  const count = await page.locator('[data-testid=viewport]').getAttribute('data-count');
  await context.close();
  return {
    app: 'patient',
    images: Number(count),
    page_to_factor_ms: tFactor - t0,
    factor_to_exam_ms: tExam - tFactor,
    tap_to_pixels_ms: tPixels - tTap,
    tap_to_first_image_ms: tDecoded - tTap,
    tap_to_full_stack_ms: tFull - tTap,
    image_mb: stats.bytes / 1e6,
    page_mb: (stats.all - stats.bytes) / 1e6,
    link_use: linkUse(stats),
  };
}

async function ohifRun(browser, expected) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
  await context.addInitScript(sendTokenTo, { origin: new URL(base).origin, token });
  const page = await context.newPage();
  const stats = await watchNetwork(context, page);
  const t0 = Date.now();
  await page.goto(`${ohifUrl}/viewer?StudyInstanceUIDs=${studyUid}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => {
    const cs = window.cornerstone;
    if (!cs || !cs.getEnabledElements) return false;
    return cs.getEnabledElements().some((e) => {
      const id = e.viewport && e.viewport.getCurrentImageId && e.viewport.getCurrentImageId();
      return id && cs.cache.isLoaded(id);
    });
  }, null, { timeout: kTimeout, polling: 10 });
  const tFirst = Date.now();
  let full = null;
  const deadline = Date.now() + Number(process.env.OHIF_FULL_WAIT_MS || 180000);
  while (Date.now() < deadline) {
    if (stats.frames >= expected) {
      full = Date.now();
      break;
    }
    await page.waitForTimeout(50);
  }
  await context.close();
  return {
    app: 'ohif',
    images: stats.frames,
    nav_to_first_image_ms: tFirst - t0,
    nav_to_full_stack_ms: full ? full - t0 : null,
    image_mb: stats.bytes / 1e6,
    page_mb: (stats.all - stats.bytes) / 1e6,
    link_use: linkUse(stats),
  };
}

function median(values) {
  const v = values.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
  const results = { patient: [], ohif: [] };
  try {
    for (let i = 0; i < runs; i++) {
      const p = await patientRun(browser);
      console.log(JSON.stringify(p));
      results.patient.push(p);
      const o = await ohifRun(browser, p.images);
      console.log(JSON.stringify(o));
      results.ohif.push(o);
    }
  } finally {
    await browser.close();
  }
  const m = (app, key) => median(results[app].map((r) => r[key]));
  const fmt = (x, unit = ' ms') => (x === null ? 'n/a' : `${Math.round(x)}${unit}`);
  console.log(`\nmedians of ${runs} runs, ${mbit} Mbit/s, ${latencyMs} ms latency, ${m('patient', 'images')} images, report read for ${readMs} ms before the tap`);
  console.log('| | patient app | OHIF |');
  console.log('| --- | --- | --- |');
  console.log(`| page to exam (factor typed at once) | ${fmt(m('patient', 'page_to_factor_ms') + m('patient', 'factor_to_exam_ms'))} | |`);
  console.log(`| first pixels (rendered) | ${fmt(m('patient', 'tap_to_pixels_ms'))} after the tap | |`);
  console.log(`| first image in the viewer | ${fmt(m('patient', 'tap_to_first_image_ms'))} after the tap | ${fmt(m('ohif', 'nav_to_first_image_ms'))} after navigation |`);
  console.log(`| whole stack in the browser | ${fmt(m('patient', 'tap_to_full_stack_ms'))} after the tap | ${fmt(m('ohif', 'nav_to_full_stack_ms'))} after navigation |`);
  console.log(`| image bytes | ${m('patient', 'image_mb').toFixed(1)} MB | ${m('ohif', 'image_mb').toFixed(1)} MB |`);
  console.log(`| page (code) bytes | ${m('patient', 'page_mb').toFixed(1)} MB | ${m('ohif', 'page_mb').toFixed(1)} MB |`);
  console.log(`| link use while loading frames | ${(100 * m('patient', 'link_use')).toFixed(0)}% | ${(100 * m('ohif', 'link_use')).toFixed(0)}% |`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
