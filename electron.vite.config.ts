// The Electron build: main (ESM), a CommonJS preload (sandboxed preloads must be CJS), renderer.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  main: {
    build: {
      outDir: here('./out/main'),
      rollupOptions: { input: { index: here('./main/index.ts') } },
    },
  },
  preload: {
    build: {
      // A sandboxed preload can require only `electron`: bundle everything else into it.
      externalizeDeps: { exclude: ['zod'] },
      outDir: here('./out/preload'),
      rollupOptions: {
        input: { preload: here('./main/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: here('./renderer'),
    base: './',
    plugins: [react()],
    build: {
      outDir: here('./out/renderer'),
      rollupOptions: { input: { index: here('./renderer/index.html') } },
    },
  },
});
