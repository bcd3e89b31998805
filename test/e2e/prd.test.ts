// `ralph run --prd prd.json` (issue 18): the Ralph-loop ecosystem's task format. Each user story that
// does not pass yet is a task of type story (its data the story), claimed in the file's priority
// order (lower first) after the stories it depends on; once completed (its --verify passed) the
// story is marked `passes: true` in the file, nothing else of it changed, and progress.txt beside
// it gets a line. Real runs with a fake agent.
import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git } from '../helpers/git.js';
import { queueOf, ralph, script, tempDir } from '../helpers/index.js';

// Written by hand, as people do: its own indentation, key order and a key Ralph knows nothing of.
const PRD = `{
    "project": "Shop",
    "branchName": "ralph/checkout",
    "userStories": [
        { "id": "US-001", "title": "Cart total", "description": "Sum the cart", "acceptanceCriteria": ["total shown"], "priority": 2, "passes": false, "notes": "" },
        { "id": "US-002", "title": "Add to cart", "description": "A button", "acceptanceCriteria": ["button"], "priority": 1, "passes": false, "notes": "" },
        { "id": "US-003", "title": "Catalogue", "priority": 1, "passes": true, "notes": "done before" },
        { "id": "US-004", "title": "Search", "priority": 1, "passes": false, "dependencies": ["US-003"] },
        { "id": "US-005", "title": "Checkout", "priority": 0, "passes": false, "dependencies": ["US-001"] },
        { "id": "US-006", "title": "Refunds", "priority": 3, "passes": false }
    ],
    "x-team": { "owner": "someone" }
}
`;

describe('ralph run --prd', () => {
  it("runs a prd.json's open stories in its order, checked by --verify, and marks each that passes in the file", async () => {
    const dir = tempDir('ralph-prd-');
    writeFileSync(join(dir, 'prd.json'), PRD);
    // The agent records the order and does each story's work, except the refunds (its check fails).
    script(
      dir,
      'agent.sh',
      'echo "$RALPH_TASK_ID" >> order\nprintf "%s" "$RALPH_TASK_DATA" > "$RALPH_TASK_ID.data"\n[ "$RALPH_TASK_ID" != US-006 ] && touch "$RALPH_TASK_ID.done"\necho "FINDINGS: built $RALPH_TASK_ID"',
    );
    const run = await ralph(['run', '--prd', 'prd.json', '--workers', '1', '--agent-cmd', './agent.sh', '--verify', 'test -f "$RALPH_TASK_ID.done"'], {
      cwd: dir,
    });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('ralph: queued 5 stories from prd.json; 1 pass already');
    // US-005 has the lowest priority number but waits for US-001; US-003 passed already.
    expect(readFileSync(join(dir, 'order'), 'utf8').trim().split('\n')).toEqual(['US-002', 'US-004', 'US-001', 'US-005', 'US-006']);
    // Each task's data is its story.
    expect(JSON.parse(readFileSync(join(dir, 'US-001.data'), 'utf8'))).toEqual({
      id: 'US-001',
      title: 'Cart total',
      description: 'Sum the cart',
      acceptanceCriteria: ['total shown'],
      priority: 2,
      notes: '',
    });
    const tasks = Object.fromEntries(queueOf(dir).tasks.map((t: { id: string }) => [t.id, t]));
    expect(tasks['US-005']).toMatchObject({ type: 'story', status: 'completed', depends_on: ['US-001'] });
    expect(tasks['US-004'].depends_on).toBeUndefined();
    expect(tasks['US-006']).toMatchObject({ status: 'failed' });
    // The file: the four stories that passed marked so, and not one other byte changed.
    const expected = PRD.replace(/("id": "US-00[1245]".*?"passes": )false/g, '$1true');
    expect(readFileSync(join(dir, 'prd.json'), 'utf8')).toBe(expected);
    const progress = readFileSync(join(dir, 'progress.txt'), 'utf8').trim().split('\n');
    expect(progress).toHaveLength(4);
    expect(progress.map((l) => l.split(' ')[1])).toEqual(['US-002', 'US-004', 'US-001', 'US-005']);
    expect(progress[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z US-002 \(Add to cart\) passes: built US-002$/);

    // Again: nothing left to do but the refunds; the stories that pass are not queued again.
    writeFileSync(join(dir, 'US-006.done'), '');
    const queued = await ralph(['queue', 'add', '--prd', 'prd.json', '--json'], { cwd: dir });
    expect(JSON.parse(queued.stdout)).toEqual({ added: 0, skipped: ['US-006'] });
    expect((await ralph(['queue', 'retry', 'US-006'], { cwd: dir })).code).toBe(0);
    const again = await ralph(['run', '--agent-cmd', './agent.sh', '--verify', 'test -f "$RALPH_TASK_ID.done"'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'prd.json'), 'utf8')).userStories.every((s: { passes: boolean }) => s.passes)).toBe(true);
  });

  it('marks only what this run completed, only on the story its task was made from, keeping the file as it was', async () => {
    const dir = tempDir('ralph-prd-');
    const agent = script(dir, 'agent.sh', 'echo "$RALPH_TASK_ID" >> order\necho "FINDINGS: ok"');
    // Four spaces, a story without `passes`, a BOM, a mode of its own, reached through a symlink.
    const first =
      '\uFEFF{\n    "userStories": [\n        { "id": "US-001", "title": "Old one" },\n        { "id": "US-002", "title": "Other", "passes": false }\n    ]\n}\n';
    mkdirSync(join(dir, 'plans'));
    writeFileSync(join(dir, 'plans', 'prd.json'), first, { mode: 0o664 });
    chmodSync(join(dir, 'plans', 'prd.json'), 0o664);
    symlinkSync(join('plans', 'prd.json'), join(dir, 'prd.json'));
    const run = await ralph(['run', '--prd', 'prd.json', '--agent-cmd', agent], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(lstatSync(join(dir, 'prd.json')).isSymbolicLink()).toBe(true);
    expect(statSync(join(dir, 'plans', 'prd.json')).mode & 0o777).toBe(0o664);
    expect(readFileSync(join(dir, 'plans', 'prd.json'), 'utf8')).toBe(
      '\uFEFF{\n    "userStories": [\n        {\n            "id": "US-001",\n            "title": "Old one",\n            "passes": true\n        },\n        { "id": "US-002", "title": "Other", "passes": true }\n    ]\n}\n',
    );
    // The next feature's prd.json starts its ids again: the stories queued before are not these.
    writeFileSync(
      join(dir, 'plans', 'prd.json'),
      '{"userStories": [{"id": "US-001", "title": "New one", "passes": false}, {"id": "US-003", "title": "Third", "passes": false}]}',
    );
    const again = await ralph(['run', '--prd', 'prd.json', '--agent-cmd', agent], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('queued 1 story from prd.json; skipped 1 already in the queue (US-001)');
    const stories = JSON.parse(readFileSync(join(dir, 'plans', 'prd.json'), 'utf8')).userStories;
    expect(stories.map((s: { id: string; passes: boolean }) => `${s.id} ${s.passes}`)).toEqual(['US-001 false', 'US-003 true']);
    expect(readFileSync(join(dir, 'order'), 'utf8').trim().split('\n')).toEqual(['US-001', 'US-002', 'US-003']);
  });

  it('refuses a tracked prd.json under --isolate worktree (marking it would leave the checkout dirty), in one line', async () => {
    const dir = tempDir('ralph-prd-');
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'config', 'user.email', 'test@example.com');
    git(dir, 'config', 'user.name', 'Test');
    writeFileSync(join(dir, 'prd.json'), '{"userStories": [{"id": "A", "passes": false}]}');
    git(dir, 'add', 'prd.json');
    git(dir, 'commit', '-q', '-m', 'prd');
    const run = await ralph(['run', '--prd', 'prd.json', '--isolate', 'worktree', '--agent-cmd', 'true'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'ralph: prd.json is tracked by git: under --isolate worktree the run cannot mark its stories in your checkout. Keep it untracked (say in .ralph/), or run without --isolate worktree.',
    );
  });

  it.each([
    ['{"stories": []}', 'prd.json: expected a prd.json with a `userStories` list, as the Ralph loop writes it.'],
    ['{"userStories": [{"id": "A", "priority": "high"}]}', 'prd.json: userStories[0]: `priority` must be a number (lower runs first).'],
    ['{"userStories": [{"id": "A"}, {"id": "A"}]}', 'prd.json: userStories[1]: duplicate story id "A".'],
    ['{"userStories": [{"id": "A", "dependencies": ["Z"]}]}', 'prd.json: task "A" depends on "Z", not in the file nor in the queue.'],
  ])('refuses %s in one line', async (text, message) => {
    const dir = tempDir('ralph-prd-');
    writeFileSync(join(dir, 'prd.json'), text);
    const run = await ralph(['run', '--prd', 'prd.json', '--agent-cmd', 'true'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(`ralph: ${message}`);
  });
});
