import { TOKEN_SHAPES } from './shapes.js';

/** A value to hide, and the name shown in its place (`[REDACTED:<name>]`). */
export interface Secret {
  name: string;
  value: string;
}

/**
 * The shortest environment value taken for a secret because of its variable's name. Shorter values
 * (`1`, `true`, `none`, a port, a short word) are settings, not credentials, and redacting them would
 * blank out every occurrence of a common string. Real keys and tokens are 20 to 100+ characters;
 * 8 still covers a short password. A variable named with `--redact` is redacted whatever its length.
 */
export const MIN_SECRET_LENGTH = 8;

/**
 * Names whose values are taken for secrets: `*_KEY`, `*_TOKEN`, `*_SECRET`, `*_API_KEY`, `*_PAT`,
 * `*_AUTH`, `*_CREDENTIAL(S)`, `*_PASSPHRASE`, and any name holding `PASSWORD`, `PASSWD`, `SECRET`,
 * `PRIVATE_KEY` or `ACCESS_KEY`. Ralph's own variables (`RALPH_*`, such as `RALPH_CLAIM_TOKEN`,
 * which the queue records by design) are not.
 */
const SECRET_NAME = /(?:^|_)(?:KEY|TOKEN|SECRET|PAT|AUTH|CREDENTIALS?|PASSPHRASE)$|PASSWORD|PASSWD|SECRET|PRIVATE_?KEY|ACCESS_?KEY|API_?KEY/i;

export function looksSecret(name: string): boolean {
  return !/^RALPH_/i.test(name) && SECRET_NAME.test(name);
}

/** The secrets of an environment: the values of secret-looking names, and of the `named` ones. Pure. */
export function secretsFromEnv(env: Readonly<Record<string, string | undefined>>, named: readonly string[] = []): Secret[] {
  const explicit = new Set(named);
  const secrets: Secret[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.trim() === '') continue;
    if (explicit.has(name) || (looksSecret(name) && value.length >= MIN_SECRET_LENGTH)) secrets.push({ name, value });
  }
  return secrets;
}

export function marker(name: string): string {
  return `[REDACTED:${name}]`;
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/-]/g;

interface Rule {
  pattern: RegExp;
  label: (match: string) => string;
  part?: number;
}

/**
 * Replaces secret values and well-known token shapes with `[REDACTED:<name>]`: the name of the
 * variable, or the kind of token (`github-token`), never the value. The values are matched as they
 * are and as they appear inside a JSON string, the longest first. One pass per rule: the values, then
 * each shape (see shapes.ts for why not one expression).
 */
export class Redactor {
  private readonly rules: Rule[] = [];
  private readonly literals = new Map<string, string>();
  readonly secrets: readonly Secret[];

  constructor(secrets: readonly Secret[], options: { shapes?: boolean } = {}) {
    this.secrets = secrets;
    for (const { name, value } of secrets) {
      for (const form of [value, JSON.stringify(value).slice(1, -1)]) if (!this.literals.has(form)) this.literals.set(form, name);
    }
    if (this.literals.size > 0) {
      const values = [...this.literals.keys()].sort((a, b) => b.length - a.length);
      this.rules.push({ pattern: new RegExp(values.map((v) => v.replace(REGEX_SPECIAL, '\\$&')).join('|'), 'g'), label: (match) => this.literals.get(match)! });
    }
    if (options.shapes !== false) {
      for (const shape of TOKEN_SHAPES) {
        const { label } = shape;
        this.rules.push({
          pattern: new RegExp(shape.source, 'g'),
          label: typeof label === 'string' ? () => label : label,
          ...(shape.part ? { part: shape.part } : {}),
        });
      }
    }
  }

  /** The variable names whose values are redacted (never the values), for a log line. */
  names(): string[] {
    return [...new Set(this.secrets.map((s) => s.name))].sort();
  }

  redact(text: string): string {
    let out = text;
    for (const rule of this.rules) {
      rule.pattern.lastIndex = 0;
      if (!rule.pattern.test(out)) continue;
      out = out.replace(rule.pattern, (match: string, ...groups: unknown[]) => {
        const label = marker(rule.label(match));
        if (rule.part === undefined) return label;
        const part = groups[rule.part - 1] as string;
        const at = match.lastIndexOf(part);
        return `${match.slice(0, at)}${label}${match.slice(at + part.length)}`;
      });
    }
    return out;
  }
  /** Every string in a JSON-like value redacted (object keys left as they are). */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v)) as T;
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactDeep(v);
      return out as T;
    }
    return value;
  }

  /** The name of the first secret value (not shape) found in `text`, or undefined. */
  findValue(text: string): string | undefined {
    for (const [form, name] of this.literals) if (text.includes(form)) return name;
    return undefined;
  }
}
