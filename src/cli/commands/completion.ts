import { Argument } from 'commander';
import type { Command } from 'commander';
import { bashScript } from '../completion/bash.js';
import { fishScript } from '../completion/fish.js';
import { completionSpec } from '../completion/spec.js';
import { zshScript } from '../completion/zsh.js';

const SCRIPTS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish (every command, subcommand and option)')
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(SCRIPTS)))
    .addHelpText(
      'after',
      `
The script is made from ralph's own command definitions, so it completes exactly what \`--help\` lists.

Examples:
  $ source <(ralph completion bash)                        # in ~/.bashrc
  $ source <(ralph completion zsh)                         # in ~/.zshrc, after compinit
  $ ralph completion fish > ~/.config/fish/completions/ralph.fish`,
    )
    .action((shell: keyof typeof SCRIPTS) => {
      // Every command, not only this one: main.ts registers them all for `completion`, as for `ralph --help`.
      // Our own text, made from our own definitions: written as it is (no task or agent text in it).
      process.stdout.write(SCRIPTS[shell](completionSpec(program)));
    });
}
