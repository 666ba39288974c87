// SPDX-License-Identifier: Apache-2.0
// Serves web/dist the way `cloudfilm serve` does (/ -> index.html,
// /s/{token} -> patient.html, /viewer, /kiosk, /admin, /assets/**) and
// passes every other request to cloudfilm, so that the page and the API
// share one origin (cookies, CSRF). Used by web_patient_test.sh only when
// the cloudfilm under test does not serve web/dist itself yet.
//
// Usage: node web_dist_proxy.js DIST_DIR CLOUDFILM_BASE PORT
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const [dist, upstream, port] = process.argv.slice(2);
if (!port) {
  console.error('usage: node web_dist_proxy.js DIST_DIR CLOUDFILM_BASE PORT');
  process.exit(2);
}
const target = new URL(upstream);
const pages = { '/': 'index.html', '/viewer': 'viewer.html', '/kiosk': 'kiosk.html', '/admin': 'admin.html' };
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

function fileOf(pathname) {
  if (pages[pathname]) return pages[pathname];
  if (/^\/s\/[A-Za-z0-9_-]+$/.test(pathname)) return 'patient.html';
  if (pathname.startsWith('/assets/') && !pathname.includes('..')) return pathname.slice(1);
  return null;
}

http
  .createServer((req, res) => {
    const pathname = new URL(req.url, 'http://x').pathname;
    const file = fileOf(pathname);
    if (file && req.method === 'GET') {
      const full = path.join(dist, file);
      fs.readFile(full, (err, body) => {
        if (err) {
          res.writeHead(404);
          res.end();
          return;
        }
        res.writeHead(200, {
          'Content-Type': types[path.extname(full)] || 'application/octet-stream',
          'Referrer-Policy': 'no-referrer',
          'Content-Security-Policy':
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; " +
            "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
            "object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
        });
        res.end(body);
      });
      return;
    }
    const forward = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  })
  .listen(Number(port), '127.0.0.1');
