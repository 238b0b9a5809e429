// Vite build of the web app: web/ -> web/dist, served by `pocket serve` at
// `/` and by `pocket start` for the market view. JSX is Preact's.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const root = fileURLToPath(new URL('.', import.meta.url))

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  css: { modules: { localsConvention: 'camelCaseOnly' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // no inline polyfill script: the CSP allows scripts from 'self' only
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
  },
  server: { fs: { allow: ['..'] } },
})
