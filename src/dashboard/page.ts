import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What the dashboard serves at `/`, `/app.js` and `/app.css`. */
export interface PageFiles {
  /** The page, its script and stylesheet asked for with the token (the page's script reads it from its own tag). */
  html: (token: string) => string;
  script: string;
  css: string;
}

const BUILT = fileURLToPath(new URL('../web/', import.meta.url));

/**
 * The page built from web/dashboard/ (Preact, bundled by scripts/build-web.mjs into dist/web/; it
 * shows every piece of queue text as text, never as HTML), or, when the build had no esbuild, a page
 * that says so (the JSON endpoints work all the same).
 */
export function pageFiles(dir = BUILT): PageFiles {
  try {
    const [script, css] = [readFileSync(`${dir}app.js`, 'utf8'), readFileSync(`${dir}app.css`, 'utf8')];
    return { html, script, css };
  } catch {
    return { html: () => NOT_BUILT, script: '', css: '' };
  }
}

function html(token: string): string {
  const query = escapeAttribute(`?token=${encodeURIComponent(token)}`);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>ralph dashboard</title><link rel="stylesheet" href="/app.css${query}"></head>
<body>
<div id="app"></div>
<script id="ralph-app" src="/app.js${query}"></script>
</body>
</html>
`;
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ralph dashboard</title></head>
<body><p>This Ralph was built without its page (esbuild was not installed): run <code>npm run build</code> with the dev dependencies.
The JSON endpoints work: /api/status, /api/tasks, /api/events (docs/dashboard.md).</p></body></html>
`;

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
