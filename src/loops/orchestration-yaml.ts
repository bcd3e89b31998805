/**
 * The `orchestration.yaml` of the design's own implementation, read as Ralph's loop settings, so a
 * project that used it switches without rewriting it: each key it knows becomes the setting of a
 * loop command's flag (flags, the environment and ralph.config.json win over it); a key it does not
 * know is reported. Pure (the file is found and parsed by the caller).
 */
export interface OrchestrationSettings {
  /** By the loop commands' option keys (promptsDir, prompt, logdir, agent, agentRole, …). */
  values: Record<string, unknown>;
  unknown: string[];
}

type Doc = Record<string, unknown>;

const isObject = (v: unknown): v is Doc => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown, key: string): string => {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(',');
  throw new Error(`${key}: expected a list of strings or one string`);
};
const text = (v: unknown, key: string): string => {
  if (typeof v === 'string' && v !== '') return v;
  throw new Error(`${key}: expected a string`);
};
const names = (v: unknown, key: string): Record<string, string> => {
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'string')) throw new Error(`${key}: expected a map of names to agent names`);
  return v as Record<string, string>;
};
/** `main.md` → `main`. */
const promptName = (v: string) => v.replace(/^.*\//, '').replace(/\.md$/, '');

/** The settings `doc` gives, by option key, and the keys it has that mean nothing here; a bad value throws (`key: what`). */
export function mapOrchestration(doc: unknown): OrchestrationSettings {
  if (doc === null || doc === undefined) return { values: {}, unknown: [] };
  if (!isObject(doc)) throw new Error('expected a mapping of settings at the top');
  const values: Record<string, unknown> = {};
  const unknown: string[] = [];
  const dir = typeof doc.prompts_dir === 'string' ? doc.prompts_dir : 'prompts';
  const inDir = (file: string) => (file.includes('/') ? file : `${dir}/${file}`);
  for (const [key, value] of Object.entries(doc)) {
    switch (key) {
      case 'prompts_dir':
        values.promptsDir = text(value, key);
        break;
      case 'supervisor_prompt':
        values.promptFile = inDir(text(value, key));
        break;
      case 'main_prompt':
        values.prompt = promptName(text(value, key));
        break;
      case 'reviewer_prompt':
        values.reviewerPrompt = promptName(text(value, key));
        break;
      case 'state_file':
        if (text(value, key) !== 'sync/state.json') throw new Error(`state_file: Ralph keeps the loops' state in sync/state.json, not ${value}`);
        break;
      case 'doc_whitelist':
        values.autocommitWhitelist = list(value, key);
        break;
      case 'tracked_output_globs':
        values.trackedOutputGlobs = list(value, key);
        break;
      case 'logs_dir':
        values.logdir = text(value, key);
        break;
      case 'router':
        if (typeof value === 'string') values.routerPrompt = inDir(value);
        else if (isObject(value)) {
          for (const [k, v] of Object.entries(value)) {
            if (k === 'prompt') values.routerPrompt = inDir(text(v, 'router.prompt'));
            else if (k === 'mode') values.routerMode = text(v, 'router.mode');
            else if (k === 'allowlist') values.routerAllowlist = list(v, 'router.allowlist');
            else unknown.push(`router.${k}`);
          }
        } else throw new Error('router: expected a prompt file or a mapping (prompt, mode, allowlist)');
        break;
      case 'agent':
        if (typeof value === 'string') values.agent = value;
        else if (isObject(value)) {
          for (const [k, v] of Object.entries(value)) {
            if (k === 'default') values.agent = text(v, 'agent.default');
            else if (k === 'roles') values.agentRole = names(v, 'agent.roles');
            else if (k === 'prompts') values.agentPrompt = names(v, 'agent.prompts');
            else unknown.push(`agent.${k}`);
          }
        } else throw new Error('agent: expected an agent name or a mapping (default, roles, prompts)');
        break;
      case 'workflow':
        if (!isObject(value)) throw new Error('workflow: expected a mapping (name, review_every_n)');
        for (const [k, v] of Object.entries(value)) {
          if (k === 'name') values.workflow = text(v, 'workflow.name');
          else if (k === 'review_every_n') {
            if (!Number.isInteger(v) || (v as number) < 1) throw new Error('workflow.review_every_n: expected a whole number of at least 1');
            values.reviewEvery = v;
          } else unknown.push(`workflow.${k}`);
        }
        break;
      default:
        unknown.push(key);
    }
  }
  return { values, unknown };
}
