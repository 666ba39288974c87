// SPDX-License-Identifier: Apache-2.0
// The admin console (/admin, web/src/admin) in headless Chromium against a
// live cloudfilm, as a hospital admin of Ruijin:
//   1. sign-in with login and password; a wrong password is refused with
//      the server's message and no session;
//   2. storage: the figures are the ones /api/system gives (passed in);
//   3. users and roles: a new doctor account is created and listed;
//   4. shares: a search by exam finds exactly that exam's share, which is
//      revoked through the confirm dialog and then shows as revoked;
//   5. audit: a search for token-revoke shows the admin's revocation;
//   6. hospitals and DICOM: Ruijin with its AE title, no other hospital,
//      and the configured C-MOVE destination; a DICOM node added from the
//      page (AE RJ_WS at 127.0.0.1:$ECHO_PORT, where the shell test runs a
//      storescp) is listed and answers the echo button; a second node
//      without an address is removed through the confirm dialog;
//   7. an auditor account is told it is not an administrator;
//   8. the interface switches between Chinese (default) and English.
// Writes the revoked share's id to stdout (the shell test then checks that
// its link refuses). Screenshots in $CF_ARTIFACTS (default /tmp):
// admin-storage.png, admin-shares.png, admin-site.png.
//
// Usage: node web_admin_test.js BASE LOGIN PASSWORD AUDITOR_LOGIN EXPECTED_JSON
//   EXPECTED_JSON: {"instances": n, "studies": n, "study": uid, "film": id,
//                   "echo_port": port of a storescp answering as RJ_WS}
'use strict';

const path = require('path');
const { chromium } = require('playwright-core');

const [base, login, password, auditorLogin, expectedJson] = process.argv.slice(2);
if (!expectedJson) {
  console.error('usage: node web_admin_test.js BASE LOGIN PASSWORD AUDITOR_LOGIN EXPECTED_JSON');
  process.exit(2);
}
const expected = JSON.parse(expectedJson);
const artifacts = process.env.CF_ARTIFACTS || '/tmp';
let failures = 0;
function check(name, ok, detail = '') {
  if (ok) {
    console.error(`ok - ${name}`);
  } else {
    failures++;
    console.error(`FAILED - ${name}${detail ? ': ' + detail : ''}`);
  }
}

async function signIn(page, who, secret) {
  await page.goto(`${base}/admin`);
  await page.getByTestId('login').fill(who);
  await page.getByTestId('password').fill(secret);
  await page.getByTestId('login-form').locator('button[type=submit]').click();
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  let revoked = '';
  let page;
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
    page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));

    // 1. sign-in
    await signIn(page, login, 'not the password');
    const refused = page.getByTestId('login-status');
    await refused.filter({ hasText: /./ }).waitFor({ timeout: 10000 });
    check('a wrong password is refused with a message', (await refused.getAttribute('class')) === 'error',
      await refused.textContent());
    check('the page is in Chinese by default', (await page.locator('h1').textContent()).includes('管理控制台'));
    await page.getByTestId('password').fill(password);
    await page.getByTestId('login-form').locator('button[type=submit]').click();
    await page.getByTestId('me').waitFor({ timeout: 10000 });
    check('signed in as the hospital admin', (await page.getByTestId('me').textContent()).includes(login));

    // 2. storage
    await page.getByTestId('instances').waitFor();
    check('storage shows the instances /api/system counts',
      (await page.getByTestId('instances').textContent()) === String(expected.instances),
      await page.getByTestId('instances').textContent());
    check('storage shows the studies /api/system counts',
      (await page.getByTestId('studies').textContent()) === String(expected.studies));
    check('per-modality table lists CT', (await page.getByTestId('by-modality').textContent()).includes('CT'));
    await page.screenshot({ path: path.join(artifacts, 'admin-storage.png') });

    // 3. users and roles
    await page.getByTestId('tab-accounts').click();
    await page.getByTestId('new-login').fill('dr.wang');
    await page.getByTestId('new-password').fill('another long password');
    await page.getByTestId('new-role').selectOption('doctor');
    await page.getByTestId('create-account').locator('button[type=submit]').click();
    await page.getByTestId('accounts').filter({ hasText: 'dr.wang' }).waitFor({ timeout: 10000 });
    const row = page.getByTestId('accounts').locator('tr', { hasText: 'dr.wang' });
    check('the new doctor is listed with its role', (await row.textContent()).includes('医生'), await row.textContent());

    // 4. shares: find by exam, revoke
    await page.getByTestId('tab-shares').click();
    await page.getByTestId('share-study').fill(expected.study);
    await page.getByTestId('share-search').locator('button[type=submit]').click();
    const shares = page.getByTestId('shares');
    await shares.filter({ hasText: expected.film }).waitFor({ timeout: 10000 });
    // The tab first lists every share; the table settles on the search's answer.
    await page.waitForFunction(() => {
      const t = document.querySelector('[data-testid=shares]');
      return t && t.querySelectorAll('tbody tr').length === 1;
    }, null, { timeout: 10000 }).catch(() => {});
    const shareRows = shares.locator('tbody tr');
    check('the search by exam finds that exam\'s share only', (await shareRows.count()) === 1,
      `${await shareRows.count()} rows`);
    const button = shares.locator('button[data-testid^=revoke-]');
    revoked = ((await button.getAttribute('data-testid')) || '').replace('revoke-', '');
    let dialog = '';
    page.once('dialog', (d) => {
      dialog = d.message();
      void d.accept();
    });
    await button.click();
    await page.getByTestId('panel-shares').getByTestId('status').filter({ hasText: revoked }).waitFor({ timeout: 10000 });
    check('revoking asks for confirmation first', dialog.includes('撤销'), dialog);
    check('the share then shows as revoked', (await shares.locator('tbody tr').first().textContent()).includes('已撤销'));
    await page.screenshot({ path: path.join(artifacts, 'admin-shares.png') });

    // 5. audit
    await page.getByTestId('tab-audit').click();
    await page.getByTestId('audit-action').selectOption('token-revoke');
    await page.getByTestId('audit-search').locator('button[type=submit]').click();
    await page.getByTestId('audit').filter({ hasText: login }).waitFor({ timeout: 10000 });
    const auditText = await page.getByTestId('audit').textContent();
    check('the audit search shows the revocation by the admin', auditText.includes('token-revoke') && auditText.includes(login));

    // 6. hospitals and DICOM nodes
    await page.getByTestId('tab-site').click();
    await page.getByTestId('tenants').waitFor();
    const tenants = await page.getByTestId('tenants').textContent();
    check('its hospital with its AE title', tenants.includes('Ruijin Hospital') && tenants.includes('RJ_CT'), tenants);
    check('and no other hospital', !tenants.includes('Renji'));
    const nodes = page.getByTestId('dicom-nodes');
    const configured = await nodes.textContent();
    check('the C-MOVE destination and the AE title of the configuration file, read-only',
      configured.includes('ARCHIVE2') && configured.includes('RJ_CT') && configured.includes('配置文件') &&
        (await page.getByTestId('node-remove-RJ_CT').count()) === 0, configured);
    check('no node of the other hospital', !configured.includes('RN_CT'));
    await page.getByTestId('node-ae').fill('RJ_WS');
    await page.getByTestId('node-host').fill('127.0.0.1');
    await page.getByTestId('node-port').fill(String(expected.echo_port));
    await page.getByTestId('node-description').fill('超声工作站 3F');
    await page.getByTestId('node-save').click();
    await nodes.locator('tr', { hasText: 'RJ_WS' }).waitFor({ timeout: 10000 });
    const added = await nodes.locator('tr', { hasText: 'RJ_WS' }).textContent();
    check('a node added from the page is listed under its hospital with its address',
      added.includes('ruijin') && added.includes('127.0.0.1') && added.includes(String(expected.echo_port)) &&
        added.includes('超声工作站 3F') && added.includes('管理控制台'), added);
    check('the page says it was saved', (await page.getByTestId('panel-site').getByTestId('status').textContent()).includes('RJ_WS'));
    await page.getByTestId('node-echo-RJ_WS').click();
    const echoed = page.getByTestId('echo-result-RJ_WS');
    await echoed.filter({ hasText: /连通|失败/ }).waitFor({ timeout: 20000 });
    check('its echo button reaches the peer', (await echoed.getAttribute('class')) === 'ok' &&
      (await echoed.textContent()).includes('连通'), await echoed.textContent());
    // Edit: the AE title stays, the description changes.
    await page.getByTestId('node-edit-RJ_WS').click();
    check('editing keeps the AE title fixed', await page.getByTestId('node-ae').evaluate((e) => e.readOnly));
    await page.getByTestId('node-description').fill('超声工作站 4F');
    await page.getByTestId('node-save').click();
    await nodes.locator('tr', { hasText: '超声工作站 4F' }).waitFor({ timeout: 10000 });
    check('an edit is listed', (await nodes.locator('tr', { hasText: 'RJ_WS' }).count()) === 1);
    await page.getByTestId('node-ae').fill('RJ_TMP');
    await page.getByTestId('node-save').click();
    await nodes.locator('tr', { hasText: 'RJ_TMP' }).waitFor({ timeout: 10000 });
    let removeDialog = '';
    page.once('dialog', (d) => {
      removeDialog = d.message();
      void d.accept();
    });
    await page.getByTestId('node-remove-RJ_TMP').click();
    await page.getByTestId('panel-site').getByTestId('status').filter({ hasText: '已删除' }).waitFor({ timeout: 10000 });
    check('removing asks for confirmation first', removeDialog.includes('RJ_TMP'), removeDialog);
    check('the removed node is gone, the other stays',
      (await nodes.locator('tr', { hasText: 'RJ_TMP' }).count()) === 0 &&
        (await nodes.locator('tr', { hasText: 'RJ_WS' }).count()) === 1);
    await page.screenshot({ path: path.join(artifacts, 'admin-site.png') });

    // 8. English
    await page.getByTestId('lang').click();
    await page.getByTestId('tab-storage').waitFor();
    check('the interface switches to English', (await page.getByTestId('tab-storage').textContent()) === 'Storage');
    await page.getByTestId('lang').click();

    // 7. sign out; an auditor is not an administrator
    await page.getByTestId('sign-out').click();
    await page.getByTestId('login-form').waitFor();
    await signIn(page, auditorLogin, password);
    await page.locator('[role=alert]').waitFor({ timeout: 10000 });
    check('an auditor is told the console is for administrators',
      (await page.locator('[role=alert]').textContent()).includes('不是管理员'));
    check('no script error on the page', pageErrors.length === 0, pageErrors.join('; '));
  } catch (e) {
    failures++;
    console.error(`FAILED - ${e.stack || e}`);
    if (page) await page.screenshot({ path: path.join(artifacts, 'admin-failure.png') }).catch(() => {});
  } finally {
    await browser.close();
  }
  process.stdout.write(revoked + '\n');
  process.exit(failures === 0 ? 0 : 1);
})();
