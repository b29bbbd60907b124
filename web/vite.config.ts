import { defineConfig } from 'vite';

// The console is served by loupe itself at `/` (same origin as the API), so the build only
// needs relative asset URLs under /assets/ with content hashes (loupe marks them immutable).
// `npm run dev` proxies the API to a local `loupe serve` on port 8080.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2020',
    sourcemap: false,
    // No inline polyfill script: the Content-Security-Policy forbids inline scripts.
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' },
  },
});
