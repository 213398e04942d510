// Builds the web app into dist/: the bundle (esbuild), the page, the styles
// and MapLibre's worker, all served by gapmap itself (no CDN).
import * as esbuild from 'esbuild';
import {cp, mkdir, rm} from 'node:fs/promises';

const out = 'dist';
await rm(out, {recursive: true, force: true});
await mkdir(`${out}/assets`, {recursive: true});
await esbuild.build({
  entryPoints: ['src/main.js'],
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: false,
  target: ['chrome110', 'firefox115', 'safari16'],
  outfile: `${out}/assets/app.js`,
  logLevel: 'warning',
});
const mg = 'node_modules/maplibre-gl/dist';
await cp('src/index.html', `${out}/index.html`);
await cp('src/app.css', `${out}/assets/app.css`);
await cp(`${mg}/maplibre-gl.css`, `${out}/assets/maplibre-gl.css`);
// The worker imports its sibling chunk at run time: both are served as is.
await cp(`${mg}/maplibre-gl-worker.mjs`, `${out}/assets/maplibre-gl-worker.mjs`);
await cp(`${mg}/maplibre-gl-shared.mjs`, `${out}/assets/maplibre-gl-shared.mjs`);
await cp('.gitkeep', `${out}/.gitkeep`).catch(() => {});
console.log('web: built dist/');
