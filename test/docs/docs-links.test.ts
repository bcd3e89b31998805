// The README and docs/ link to each other: every relative link names a file that exists, and every
// #anchor a heading of that file (GitHub's rule: lower case, punctuation dropped, spaces to dashes).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/index.js';

const pages = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set(
    [...text.matchAll(/^#+ (.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('documentation links', () => {
  it.each(pages)('%s: every relative link and anchor resolves', (page) => {
    const file = join(ROOT, page);
    const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
      const [path, anchor] = target!.split('#');
      const into = path ? resolve(dirname(file), path) : file;
      if (!existsSync(into)) {
        broken.push(target!);
        continue;
      }
      if (anchor && into.endsWith('.md') && !anchors(into).has(anchor)) broken.push(target!);
    }
    expect(broken).toEqual([]);
  });

  it('keeps the README to what a user reads first (about 15 KB)', () => {
    expect(readFileSync(join(ROOT, 'README.md')).length).toBeLessThan(16_000);
  });
});
