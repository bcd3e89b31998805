// The documentation's shell examples, as written, for tests that run them.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './index.js';

/** README.md and every .md file under docs/ (where parts of the README may move). */
function documents(): string[] {
  const files = [join(ROOT, 'README.md')];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith('.md')) files.push(join(dir, entry.name));
    }
  };
  walk(join(ROOT, 'docs'));
  return files;
}

/** The one fenced ```sh block of the documentation whose text contains every one of `anchors`. */
export function shellExample(...anchors: string[]): string {
  const blocks: string[] = [];
  for (const file of documents()) {
    for (const match of readFileSync(file, 'utf8').matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
      if (anchors.every((a) => match[1]!.includes(a))) blocks.push(match[1]!);
    }
  }
  if (blocks.length !== 1) throw new Error(`expected one sh example containing ${JSON.stringify(anchors)}, found ${blocks.length}`);
  return blocks[0]!;
}
