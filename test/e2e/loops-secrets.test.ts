import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAST, git, handoffSubjects, ralphWithin, remoteRev, remoteState, twoClones, writeAgent } from '../helpers/loops.js';

const SYNC = ['--sync-via-git', '--branch', 'main', ...FAST, '--max-wait-sec', '20'];
const KEY = `sk-ant-api03-${'Lk7'.repeat(10)}-${Date.now().toString(36)}QQ`;

/** Every file under `dir`, recursively, as text. */
function allText(dir: string): string {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

describe('loops and secrets', () => {
  it('the handoff refuses to auto-commit a file holding a secret, naming the file, and publishes nothing', async () => {
    const s = await twoClones();
    // input.md is tracked and in the docs whitelist: today it would be committed and pushed.
    const agent = writeAgent(
      s.agents,
      'galph-leak.sh',
      `
echo "use the key $ANTHROPIC_API_KEY" >> input.md
echo "printing $ANTHROPIC_API_KEY"
echo "FINDINGS: wrote $ANTHROPIC_API_KEY into input.md"`,
    );
    const before = remoteRev(s.remote);
    const r = await ralphWithin(['supervisor', ...SYNC, '--sync-loops', '1', '--agent-cmd', agent], { cwd: s.a, env: { ANTHROPIC_API_KEY: KEY } });
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(1);
    expect(r.stderr).toMatch(/ralph: .*input\.md.*ANTHROPIC_API_KEY/);
    expect(out).not.toContain(KEY);
    // Nothing committed or pushed; the file is as the agent left it.
    expect(git(s.a, 'status', '--porcelain', '--', 'input.md')).toBe('M input.md');
    expect(git(s.a, 'log', '-1', '--format=%s')).not.toContain('auto-commit');
    expect(git(s.remote, 'show', 'main:input.md')).not.toContain(KEY);
    expect(handoffSubjects(s.remote)).toEqual([]);
    expect(remoteState(s.remote).status).not.toBe('waiting-ralph');
    expect(remoteRev(s.remote)).not.toBe('');
    expect(git(s.remote, 'log', '--all', '-p')).not.toContain(KEY);
    expect(before).not.toBe('');
    // The loop's own log and summary hold no secret either.
    expect(allText(join(s.a, 'logs'))).not.toContain(KEY);
  });

  it("the handoff refuses to push the agent's own commit of a secret, naming the file", async () => {
    const s = await twoClones('ralph');
    const agent = writeAgent(
      s.agents,
      'ralph-leak.sh',
      `
mkdir -p work && echo "token=$ANTHROPIC_API_KEY" > work/config.txt
git add work && git commit --quiet -m "ralph: config"
echo "FINDINGS: committed the config"`,
    );
    const r = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--prompt', 'main', '--agent-cmd', agent], {
      cwd: s.b,
      env: { ANTHROPIC_API_KEY: KEY },
    });
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(1);
    expect(r.stderr).toMatch(/ralph: .*work\/config\.txt.*ANTHROPIC_API_KEY/);
    expect(out).not.toContain(KEY);
    expect(git(s.remote, 'log', '--all', '-p')).not.toContain(KEY);
    expect(handoffSubjects(s.remote)).toEqual([]);
  });
});
