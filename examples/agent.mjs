#!/usr/bin/env node
// A tiny offline "agent" for the bundled example: it does real, small work on this repository's
// files and ends with a FINDINGS line, the way a real coding agent is asked to. No network, no key.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

const prompt = readFileSync(0, 'utf8'); // the prompt arrives on stdin (and in $RALPH_PROMPT_FILE)
const task = { id: process.env.RALPH_TASK_ID, type: process.env.RALPH_TASK_TYPE, data: JSON.parse(process.env.RALPH_TASK_DATA ?? 'null') ?? {} };
console.log(`worker ${process.env.RALPH_WORKER_ID} got task ${task.id} (${task.type}), prompt of ${prompt.length} characters`);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist') return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const jobs = {
  'count-lines': ({ dir }) => {
    const byExt = {};
    for (const file of walk(dir)) byExt[extname(file) || '(none)'] = (byExt[extname(file) || '(none)'] ?? 0) + readFileSync(file, 'utf8').split('\n').length;
    const top = Object.entries(byExt).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([ext, n]) => `${ext} ${n}`);
    return `${dir} has ${Object.values(byExt).reduce((a, b) => a + b, 0)} lines; most in ${top.join(', ')}.`;
  },
  'find-todos': ({ dir }) => {
    const hits = walk(dir).flatMap((file) => readFileSync(file, 'utf8').split('\n').flatMap((line, i) => (/\b(TODO|FIXME)\b/.test(line) ? [`${file}:${i + 1}`] : [])));
    return hits.length === 0 ? `No TODO or FIXME markers under ${dir}.` : `${hits.length} TODO/FIXME marker(s) under ${dir}, first at ${hits[0]}.`;
  },
  'largest-file': ({ dir }) => {
    const [file, size] = walk(dir).map((f) => [f, statSync(f).size]).sort((a, b) => b[1] - a[1])[0] ?? ['none', 0];
    return `The largest file under ${dir} is ${file} (${size} bytes).`;
  },
  'heading': ({ file }) => {
    const heading = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('#'));
    return heading ? `${file} starts with the heading "${heading.replace(/^#+\s*/, '')}".` : `${file} has no markdown heading.`;
  },
};

const job = jobs[task.type];
if (!job) {
  console.error(`don't know how to do a task of type ${task.type}`);
  process.exit(3);
}
console.log('FINDINGS:', job(task.data));
