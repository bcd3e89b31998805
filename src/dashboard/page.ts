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
 * The page built from web/dashboard/ (Preact, bundled by scripts/build-web.mjs into dist/web/), or,
 * when the build had no esbuild, a minimal page of counts and workers. Every piece of queue text goes
 * in as text (Preact's rendering, or textContent), never as HTML.
 */
export function pageFiles(dir = BUILT): PageFiles {
  try {
    const [script, css] = [readFileSync(`${dir}app.js`, 'utf8'), readFileSync(`${dir}app.css`, 'utf8')];
    return { html: (token) => html('<div id="app"></div>', token, true), script, css };
  } catch {
    return { html: (token) => html(MINIMAL_BODY, token, false), script: MINIMAL_SCRIPT, css: '' };
  }
}

function html(body: string, token: string, styled: boolean): string {
  const query = escapeAttribute(`?token=${encodeURIComponent(token)}`);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>ralph dashboard</title>${styled ? `<link rel="stylesheet" href="/app.css${query}">` : ''}</head>
<body>
${body}
<script id="ralph-app" src="/app.js${query}"></script>
</body>
</html>
`;
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The token, as the page's script finds it in its own tag's address. */
export const TOKEN_OF_PAGE = "new URL(document.getElementById('ralph-app').src).searchParams.get('token')";

const MINIMAL_BODY = `<h1>ralph</h1>
<p id="where"></p>
<table id="counts"><tbody></tbody></table>
<h2>Workers</h2>
<table id="workers"><thead><tr><th>id</th><th>host</th><th>state</th><th>task</th><th>heartbeat</th></tr></thead><tbody></tbody></table>
<p id="updated"></p>`;

const MINIMAL_SCRIPT = `'use strict';
function cell(row, text) { const td = document.createElement('td'); td.textContent = text; row.appendChild(td); }
function show(snapshot) {
  const s = snapshot.status;
  document.getElementById('where').textContent = (s.queue || s.dir) + (s.active ? ' · a run is active' : '');
  const counts = document.querySelector('#counts tbody');
  counts.replaceChildren();
  for (const name of ['pending', 'claimed', 'completed', 'failed']) {
    const row = document.createElement('tr'); row.dataset.status = name;
    cell(row, name); cell(row, String(s.counts[name])); counts.appendChild(row);
  }
  const workers = document.querySelector('#workers tbody');
  workers.replaceChildren();
  for (const w of s.workers) {
    const row = document.createElement('tr');
    cell(row, String(w.worker_id)); cell(row, w.host); cell(row, w.alive ? w.status : 'dead');
    cell(row, w.current_task || ''); cell(row, Math.round(w.heartbeat_age_ms / 1000) + ' s ago');
    workers.appendChild(row);
  }
  document.getElementById('updated').textContent = 'as of ' + snapshot.at;
}
const token = ${TOKEN_OF_PAGE};
(async () => {
  const response = await fetch('/api/events', { headers: { authorization: 'Bearer ' + token } });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    text += decoder.decode(value, { stream: true });
    let end;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const data = text.slice(0, end).split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
      text = text.slice(end + 2);
      if (data) show(JSON.parse(data));
    }
  }
})();
`;
