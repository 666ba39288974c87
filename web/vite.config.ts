import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The WASM codecs (Emscripten) and xmlbuilder2 name Node's fs, path and url
// on code paths a browser never takes; Vite leaves those modules out and
// says so once per import. Only that notice is dropped: any other warning
// still shows.
const kNodeOnlyImport = /Module "(fs|path|url)" has been externalized for browser compatibility/;

// One build, one HTML entry per app. `cloudfilm serve` serves dist/ itself
// (src/http/web_routes.cpp): each page at its route, /assets/* immutable.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, 'index.html'),
        patient: resolve(import.meta.dirname, 'patient.html'),
        admin: resolve(import.meta.dirname, 'admin.html'),
        kiosk: resolve(import.meta.dirname, 'kiosk.html'),
        viewer: resolve(import.meta.dirname, 'viewer.html'),
      },
      onLog(level, log, handler) {
        if (level === 'warn' && kNodeOnlyImport.test(log.message)) return;
        handler(level, log);
      },
    },
  },
  worker: { format: 'es' },
});
