import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { DEFAULT_PROMPT_TEMPLATE } from '../queue/prompt.js';

/** The prompt template from `--prompt-template FILE`, or the default one. */
export function loadPromptTemplate(path: string | undefined): string {
  if (path === undefined) return DEFAULT_PROMPT_TEMPLATE;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`Prompt template ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, { cause: error });
  }
}
