// docs/architecture.md names every floor of src/, and the floors the dependency checker enforces
// (.dependency-cruiser.cjs) are the ones it describes: the page cannot drift from the code silently.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/index.js';

const page = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
const floors = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);
const rows = [...page.matchAll(/^\| `([a-z.-]+)\/?` \|/gm)].map((m) => m[1]!);
const rules = (createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs')) as { forbidden: Array<{ name: string }> }).forbidden;
// One rule a floor, named floor-<folder> (floor-errors for errors.ts).
const enforced = rules.filter((r) => r.name.startsWith('floor-')).map((r) => (r.name === 'floor-errors' ? 'errors.ts' : r.name.slice('floor-'.length)));

describe('docs/architecture.md', () => {
  it('has a row for every folder of src/, in the order of the floors', () => {
    expect([...rows].sort()).toEqual([...floors, 'errors.ts'].sort());
  });

  it('describes the floors .dependency-cruiser.cjs enforces (cli/ may import everything and has no entry)', () => {
    expect(rows.filter((r) => r !== 'cli')).toEqual(enforced);
  });
});
