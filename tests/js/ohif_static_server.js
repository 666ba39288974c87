// SPDX-License-Identifier: Apache-2.0
// Serves the built OHIF viewer (node_modules/@ohif/app/dist, unpacked by
// scripts/install-deps.sh) as a static site pointed at a cloudfilm DICOMweb
// service, the way a hospital would host OHIF on any web server or CDN:
//   - files of dist/ with their content types;
//   - any other path without a file (OHIF's routes /viewer, /local...)
//     answers index.html, the single-page-app fallback;
//   - /app-config.js is OHIF's packaged default configuration followed by an
//     override of its data sources: one DICOMweb source at BASE/dicom-web.
//
// OHIF and cloudfilm are on different origins (ports), as in a real
// deployment where the viewer is static and the archive elsewhere, so the
// browser checks cloudfilm's CORS answers (http.cors_allow_origin) too.
//
// Usage: node ohif_static_server.js CLOUDFILM_BASE_URL [PORT]
// (PORT 0 or absent: a free one). Prints "listening on http://127.0.0.1:PORT"
// once ready; runs until killed.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const [base, portArg] = process.argv.slice(2);
if (!base || !/^https?:\/\//.test(base)) {
  console.error('usage: node ohif_static_server.js CLOUDFILM_BASE_URL [PORT]');
  process.exit(2);
}
const dist = path.join(__dirname, 'node_modules', '@ohif', 'app', 'dist');
if (!fs.existsSync(path.join(dist, 'index.html'))) {
  console.error(`${dist} is missing: run scripts/install-deps.sh`);
  process.exit(2);
}

const root = `${base.replace(/\/+$/, '')}/dicom-web`;
const dataSource = {
  namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
  sourceName: 'cloudfilm',
  configuration: {
    friendlyName: 'cloudfilm',
    name: 'cloudfilm',
    qidoRoot: root,
    wadoRoot: root,
    wadoUriRoot: root,
    qidoSupportsIncludeField: true,
    supportsFuzzyMatching: true,
    supportsWildcard: true,
    imageRendering: 'wadors',
    thumbnailRendering: 'thumbnail',
    thumbnailRequestStrategy: 'fetch',
    enableStudyLazyLoad: true,
    staticWado: false,
    singlepart: 'bulkdata,video',
    bulkDataURI: { enabled: true, relativeResolution: 'studies' },
    omitQuotationForMultipartRequest: true,
  },
};
const appConfig = `${fs.readFileSync(path.join(dist, 'app-config.js'), 'utf8')}
// --- cloudfilm: tests/js/ohif_static_server.js --------------------------------
window.config.dataSources = [${JSON.stringify(dataSource, null, 2)}];
window.config.defaultDataSourceName = 'cloudfilm';
// No cross-origin isolation here (no COOP/COEP): skip the warning toast.
window.config.showWarningMessageForCrossOrigin = false;
// The "investigational use" banner would cover the viewport in screenshots.
window.config.investigationalUseDialog = { option: 'never' };
`;

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.gif': 'image/gif',
  '.jpg': 'image/jpeg',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.onnx': 'application/octet-stream',
};

function send(res, status, type, body, head) {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-cache',
  });
  res.end(head ? undefined : body);
}

function serveFile(res, file, head) {
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
      return;
    }
    res.writeHead(200, {
      'Content-Type': types[path.extname(file).toLowerCase()] || 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': 'no-cache',
    });
    if (head) res.end();
    else fs.createReadStream(file).pipe(res);
  });
}

const server = http.createServer((req, res) => {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', head);
    return;
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    send(res, 400, 'text/plain; charset=utf-8', 'bad request\n', head);
    return;
  }
  if (pathname === '/app-config.js') {
    send(res, 200, types['.js'], appConfig, head);
    return;
  }
  const file = path.join(dist, path.normalize(pathname));
  if (!file.startsWith(dist + path.sep) && file !== dist) {
    send(res, 403, 'text/plain; charset=utf-8', 'forbidden\n', head);
    return;
  }
  fs.stat(file, (err, st) => {
    if (!err && st.isFile()) {
      serveFile(res, file, head);
    } else if (![undefined, types['.html']].includes(types[path.extname(pathname).toLowerCase()])) {
      // A missing bundle, image or font: a 404, not the app's HTML.
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
    } else {
      serveFile(res, path.join(dist, 'index.html'), head);
    }
  });
});

server.listen(Number(portArg || 0), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
