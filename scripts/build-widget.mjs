// Bundles the widget's modules (static/widget/src/) and the socket.io client into the one minified
// static/widget/dist/widget.js that /widget.js serves (git-ignored: `npm run build` makes it).
import { build } from 'esbuild';
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
