// Builds the renderer alone (browser mode and the app:// scheme both serve out/renderer).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./out/renderer', import.meta.url)),
    emptyOutDir: true,
    // Served from this machine (app:// or loopback), never over a network: one bundle is fine.
    chunkSizeWarningLimit: 1024,
  },
});
