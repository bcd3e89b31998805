import { Argument, Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandPaths, completionSpec } from '../../src/cli/completion/spec.js';

function program(): Command {
  const p = new Command('tool').version('1.0.0', '-V, --version');
  p.command('go')
    .description('go somewhere\nsecond line')
    .option('--file <file>', 'a file')
    .option('--dir <dir>', 'a dir')
    .option('--cmd <cmd>', 'a command')
    .option('--n <n>', 'a number')
    .addOption(new Option('--mode <mode>', 'a mode').choices(['a', 'b']))
    .option('--no-color', 'no colour')
    .addOption(new Option('--hidden-one').hideHelp())
    .addArgument(new Argument('<what>').choices(['x', 'y']))
    .argument('[more...]');
  const sub = p.command('sub').description('has subcommands');
  sub.command('leaf').argument('<path>');
  return p;
}

describe('completionSpec', () => {
  const spec = completionSpec(program());

  it('reads commands, subcommands and the implicit help command as --help lists them', () => {
    expect(commandPaths(spec).map((p) => p.path.join(' '))).toEqual(['', 'go', 'sub', 'sub leaf', 'sub help', 'help']);
    expect(spec.options.map((o) => o.flags)).toEqual([
      ['-V', '--version'],
      ['-h', '--help'],
    ]);
    expect(spec.commands.find((c) => c.name === 'help')!.args).toEqual([
      { name: 'command', value: { kind: 'choices', choices: ['go', 'sub'] }, variadic: false },
    ]);
  });

  it('knows what each option value and argument is', () => {
    const go = spec.commands.find((c) => c.name === 'go')!;
    expect(go.description).toBe('go somewhere');
    const value = (flag: string) => go.options.find((o) => o.flags.includes(flag))?.value;
    expect(value('--file')).toEqual({ kind: 'file' });
    expect(value('--dir')).toEqual({ kind: 'dir' });
    expect(value('--cmd')).toEqual({ kind: 'command' });
    expect(value('--n')).toEqual({ kind: 'text' });
    expect(value('--mode')).toEqual({ kind: 'choices', choices: ['a', 'b'] });
    expect(value('--no-color')).toBeUndefined();
    expect(go.options.flatMap((o) => o.flags)).not.toContain('--hidden-one');
    expect(go.args).toEqual([
      { name: 'what', value: { kind: 'choices', choices: ['x', 'y'] }, variadic: false },
      { name: 'more', value: { kind: 'text' }, variadic: true },
    ]);
    expect(spec.commands.find((c) => c.name === 'sub')!.commands[0]!.args[0]!.value).toEqual({ kind: 'file' });
  });
});
