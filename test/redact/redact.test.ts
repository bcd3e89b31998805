import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, Redactor, looksSecret, secretsFromEnv } from '../../src/redact/redactor.js';
import { redactResult } from '../../src/agents/redact-result.js';
import { describeRedaction } from '../../src/redact/process.js';
import { refuseSecrets, secretsIn } from '../../src/loops/secret-files.js';
import { RalphError } from '../../src/errors.js';

const ANTHROPIC = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345';
const OPENAI_PROJ = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUV_wx-yz';
const OPENAI_OLD = 'sk-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd';
const GH = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const GHO = 'gho_0123456789abcdefghijABCDEFGHIJ012345';
const GHS = 'ghs_0123456789abcdefghijABCDEFGHIJ012345';
const GH_PAT = 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz';
const AWS = 'AKIAIOSFODNN7EXAMPLE';
const SLACK = 'xoxb-123456789012-abcdefghijkl';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';

describe('looksSecret', () => {
  it.each([
    ['ANTHROPIC_API_KEY', true],
    ['OPENAI_API_KEY', true],
    ['GITHUB_TOKEN', true],
    ['GH_TOKEN', true],
    ['AWS_SECRET_ACCESS_KEY', true],
    ['AWS_SESSION_TOKEN', true],
    ['DB_PASSWORD', true],
    ['PGPASSWORD', true],
    ['MYSQL_PWD_PASSWD', true],
    ['CLIENT_SECRET', true],
    ['SECRET', true],
    ['TOKEN', true],
    ['KEY', true],
    ['NPM_CONFIG__AUTH', true],
    ['GITLAB_PAT', true],
    ['GOOGLE_APPLICATION_CREDENTIALS', true],
    ['SSH_PASSPHRASE', true],
    ['stripe_secret_key', true],
    ['APIKEY', true],
    ['PATH', false],
    ['HOME', false],
    ['MAX_TOKENS', false],
    ['LESSKEY', false],
    ['KEYTIMEOUT', false],
    ['SSH_AUTH_SOCK', false],
    ['RALPH_CLAIM_TOKEN', false],
    ['TOKENIZERS_PARALLELISM', false],
    ['XAUTHORITY', false],
    ['COLUMNS', false],
  ])('%s → %s', (name, expected) => {
    expect(looksSecret(name)).toBe(expected);
  });
});

describe('secretsFromEnv', () => {
  it('takes the values of secret-looking names of at least MIN_SECRET_LENGTH characters, and the named ones whatever they are', () => {
    expect(MIN_SECRET_LENGTH).toBe(8);
    const env = {
      ANTHROPIC_API_KEY: ANTHROPIC,
      GITHUB_TOKEN: 'short',
      DEBUG_KEY: 'true',
      DB_PASSWORD: 'hunter22',
      EMPTY_SECRET: '',
      BLANK_TOKEN: '         ',
      HOME: '/root/home/dir',
      CUSTOM: 'x1',
      UNSET_TOKEN: undefined,
      RALPH_CLAIM_TOKEN: 'a'.repeat(32),
    };
    expect(secretsFromEnv(env, ['CUSTOM', 'NOT_SET'])).toEqual([
      { name: 'ANTHROPIC_API_KEY', value: ANTHROPIC },
      { name: 'DB_PASSWORD', value: 'hunter22' },
      { name: 'CUSTOM', value: 'x1' },
    ]);
  });
});

describe('Redactor', () => {
  const redactor = new Redactor([
    { name: 'ANTHROPIC_API_KEY', value: ANTHROPIC },
    { name: 'DB_PASSWORD', value: 'p@ss"w\\rd.*' },
    { name: 'LONGER', value: 'hunter22-and-more' },
    { name: 'SHORTER', value: 'hunter22' },
  ]);

  it.each([
    ['an env value', `key=${ANTHROPIC}.`, 'key=[REDACTED:ANTHROPIC_API_KEY].'],
    ['a value twice on one line', `${ANTHROPIC} ${ANTHROPIC}`, '[REDACTED:ANTHROPIC_API_KEY] [REDACTED:ANTHROPIC_API_KEY]'],
    ['a value with regex specials, as it is', 'pw p@ss"w\\rd.* end', 'pw [REDACTED:DB_PASSWORD] end'],
    ['a value with regex specials, inside a JSON string', '{"pw":"p@ss\\"w\\\\rd.*"}', '{"pw":"[REDACTED:DB_PASSWORD]"}'],
    ['the longer of two overlapping values', 'hunter22-and-more', '[REDACTED:LONGER]'],
    ['Anthropic shape (not from the env)', 'sk-ant-api03-ZZZZZZZZZZZZZZZZZZZZZZZZ', '[REDACTED:anthropic-key]'],
    ['OpenAI project key', `k ${OPENAI_PROJ}`, 'k [REDACTED:openai-key]'],
    ['OpenAI legacy key', `"${OPENAI_OLD}"`, '"[REDACTED:openai-key]"'],
    ['GitHub ghp_', `token ${GH}`, 'token [REDACTED:github-token]'],
    ['GitHub gho_', GHO, '[REDACTED:github-token]'],
    ['GitHub ghs_', GHS, '[REDACTED:github-token]'],
    ['GitHub fine-grained PAT', GH_PAT, '[REDACTED:github-token]'],
    ['AWS access key id', `id=${AWS}`, 'id=[REDACTED:aws-access-key-id]'],
    ['Slack token', SLACK, '[REDACTED:slack-token]'],
    ['JWT', `Bearer ${JWT}`, 'Bearer [REDACTED:jwt]'],
    ['a URL password', 'postgres://app:s3cr3tpw@db:5432/x', 'postgres://app:[REDACTED:url-password]@db:5432/x'],
    ['a token in a URL', `https://x:${GH}@github.com/o/r`, 'https://x:[REDACTED:github-token]@github.com/o/r'],
    ['"sk-" inside a word is no key', 'task-1234567890abcdefghijklmnop done', 'task-1234567890abcdefghijklmnop done'],
    ['too short to be a key', 'sk-short ghp_short AKIA123', 'sk-short ghp_short AKIA123'],
    ['a longer run of capitals is no AWS key id', 'AKIAIOSFODNN7EXAMPLEXYZ', 'AKIAIOSFODNN7EXAMPLEXYZ'],
    ['plain text', 'nothing to see here: FINDINGS: ok', 'nothing to see here: FINDINGS: ok'],
    ['the empty string', '', ''],
    ['an SSH URL without a password', 'ssh://git@github.com:22/o/r', 'ssh://git@github.com:22/o/r'],
  ])('%s', (_what, text, expected) => {
    expect(redactor.redact(text)).toBe(expected);
  });

  it('is idempotent: a marker is never redacted again', () => {
    const once = redactor.redact(`a ${ANTHROPIC} b ${GH} c`);
    expect(redactor.redact(once)).toBe(once);
  });

  it('names the variables it redacts, never the values', () => {
    const r = new Redactor([
      { name: 'X_TOKEN', value: 'abcdefgh12' },
      { name: 'A_KEY', value: 'abcdefgh34' },
      { name: 'X_TOKEN', value: 'other-value' },
    ]);
    expect(r.names()).toEqual(['A_KEY', 'X_TOKEN']);
    expect(describeRedaction(r)).toBe('redacting the values of A_KEY, X_TOKEN and well-known token shapes from agent output, logs and reports');
    expect(describeRedaction(new Redactor([]))).toBe('redacting well-known token shapes from agent output, logs and reports');
  });

  it('without secrets and shapes, leaves everything as it is', () => {
    const r = new Redactor([], { shapes: false });
    expect(r.redact(`${ANTHROPIC} ${GH}`)).toBe(`${ANTHROPIC} ${GH}`);
  });

  it('redacts every string of a JSON value, deeply, leaving numbers, booleans and keys', () => {
    const value = { id: 'a', n: 1, ok: true, nothing: null, list: [`x ${ANTHROPIC}`, 2], nested: { [ANTHROPIC.slice(0, 3)]: GH } };
    expect(redactor.redactDeep(value)).toEqual({
      id: 'a',
      n: 1,
      ok: true,
      nothing: null,
      list: ['x [REDACTED:ANTHROPIC_API_KEY]', 2],
      nested: { 'sk-': '[REDACTED:github-token]' },
    });
  });

  it('finds which secret value a text holds (values only: a token shape alone is not a known secret)', () => {
    expect(redactor.findValue(`config: ${ANTHROPIC}\n`)).toBe('ANTHROPIC_API_KEY');
    expect(redactor.findValue(`config: ${GH}\n`)).toBeUndefined();
  });

  it('redacts an agent result where it becomes an outcome: finding, error, usage-limit message, text', () => {
    const result = redactResult(
      {
        ok: false,
        text: `all ${ANTHROPIC}`,
        finding: `found ${ANTHROPIC}`,
        error: `exit 3; last output:\n${GH}`,
        reason: 'exit',
        usageLimit: { message: `limit for ${ANTHROPIC}`, resetsAt: '2026-01-01T00:00:00.000Z' },
        costUsd: 1,
      },
      redactor,
    );
    expect(result).toEqual({
      ok: false,
      text: 'all [REDACTED:ANTHROPIC_API_KEY]',
      finding: 'found [REDACTED:ANTHROPIC_API_KEY]',
      error: 'exit 3; last output:\n[REDACTED:github-token]',
      reason: 'exit',
      usageLimit: { message: 'limit for [REDACTED:ANTHROPIC_API_KEY]', resetsAt: '2026-01-01T00:00:00.000Z' },
      costUsd: 1,
    });
  });
});

describe("files that would publish a secret (the loops' handoff)", () => {
  const redactor = new Redactor([{ name: 'ANTHROPIC_API_KEY', value: ANTHROPIC }]);
  const files: Record<string, string> = { 'input.md': `use ${ANTHROPIC}\n`, 'ok.md': 'nothing\n', 'tokens.md': `${GH}\n`, 'data.json': `{"k":"${ANTHROPIC}"}` };

  it('names each file holding a known secret value, and whose (a token shape alone is no known secret)', () => {
    expect(secretsIn(['input.md', 'ok.md', 'tokens.md', 'gone.md', 'data.json'], (p) => files[p], redactor)).toEqual([
      { path: 'input.md', name: 'ANTHROPIC_API_KEY' },
      { path: 'data.json', name: 'ANTHROPIC_API_KEY' },
    ]);
    expect(secretsIn(['input.md'], (p) => files[p], new Redactor([]))).toEqual([]);
  });

  it('refuses with one clear message naming the files and variables, never the value (exit 1)', () => {
    expect(() => refuseSecrets([], { refused: 'x', fix: 'y' })).not.toThrow();
    let error: unknown;
    try {
      refuseSecrets(
        [
          { path: 'input.md', name: 'ANTHROPIC_API_KEY' },
          { path: 'a b.txt', name: 'DB_PASSWORD' },
        ],
        { refused: 'nothing was auto-committed', fix: 'Take the secret out of the file' },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RalphError);
    expect((error as RalphError).exitCode).toBe(1);
    expect((error as RalphError).message).toBe(
      'handoff aborted, state not changed: nothing was auto-committed: input.md holds the value of ANTHROPIC_API_KEY; a b.txt holds the value of DB_PASSWORD (a secret). Take the secret out of the file, then rerun; the turn is resumed.',
    );
  });
});
