import { resolve } from 'node:path';
import { defineConfig } from 'vite';

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
    },
  },
  worker: { format: 'es' },
});
