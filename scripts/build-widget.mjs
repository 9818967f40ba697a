// Bundles the widget's modules (static/widget/src/) and the socket.io client into the one minified
// static/widget/dist/widget.js that /widget.js serves (git-ignored: `npm run build` makes it).
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ['static/widget/src/main.js'],
  outfile: 'static/widget/dist/widget.js',
  bundle: true,
  minify: true,
  format: 'iife', // a classic <script>: no globals but window.prilavok and window.Prilavok
  target: ['es2020'],
  legalComments: 'none',
  logLevel: 'warning',
});

// The browser libraries the console and admin import (/vendor/...), copied next to the bundle so
// that a server (or an installed wheel) never reads node_modules.
const vendor = {
  'socket.io.esm.min.js': 'socket.io-client/dist/socket.io.esm.min.js',
  'socket.io.min.js': 'socket.io-client/dist/socket.io.min.js',
  'chart.umd.js': 'chart.js/dist/chart.umd.js',
};
await mkdir(join(root, 'static/vendor'), { recursive: true });
for (const [name, source] of Object.entries(vendor)) {
  await copyFile(join(root, 'node_modules', source), join(root, 'static/vendor', name));
}
