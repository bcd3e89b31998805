import type { Argument, Command, Option } from 'commander';

/** What a value is completed with: files, directories, commands, git branches, fixed choices, or nothing. */
export type ValueKind = { kind: 'file' | 'dir' | 'command' | 'branch' | 'text' } | { kind: 'choices'; choices: string[] };

export interface OptionSpec {
  /** `-n`, `--count`: every spelling. */
  flags: string[];
  description: string;
  /** Absent for a flag without a value. */
  value?: ValueKind;
  /** The value's placeholder in the help (`seconds` of `--timeout <seconds>`). */
  valueName?: string;
}

export interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** The positional arguments, in order; the last may repeat. */
  args: Array<{ name: string; value: ValueKind; variadic: boolean }>;
  commands: CommandSpec[];
}

/** Placeholders whose values are paths, commands or branches; any other is free text. */
const PLACEHOLDERS: Record<string, 'file' | 'dir' | 'command' | 'branch'> = { file: 'file', path: 'file', dir: 'dir', cmd: 'command', branch: 'branch' };

/**
 * The completion spec of a program, read from its commander definitions exactly as `--help` shows
 * them (the same visible commands and options, the implicit help command and option included), so
 * that completion cannot drift from the commands.
 */
export function completionSpec(command: Command): CommandSpec {
  const help = command.createHelp();
  const commands = help.visibleCommands(command);
  return {
    name: command.name(),
    description: firstLine(command.description()),
    options: help.visibleOptions(command).map(optionSpec),
    args: command.registeredArguments.map(argSpec),
    // commander's implicit `help [command]` takes the name of a sibling command.
    commands: commands.map((c) =>
      c.name() === 'help' && c.commands.length === 0
        ? {
            ...completionSpec(c),
            args: [{ name: 'command', value: { kind: 'choices', choices: commands.map((s) => s.name()).filter((n) => n !== 'help') }, variadic: false }],
          }
        : completionSpec(c),
    ),
  };
}

function optionSpec(option: Option): OptionSpec {
  const flags = [option.short, option.long].filter((f): f is string => f !== undefined);
  const spec: OptionSpec = { flags, description: firstLine(option.description) };
  if (option.required || option.optional) {
    const placeholder = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? 'value';
    spec.value = valueKind(option.argChoices, placeholder);
    spec.valueName = placeholder;
  }
  return spec;
}

function argSpec(argument: Argument): CommandSpec['args'][number] {
  return { name: argument.name(), value: valueKind(argument.argChoices, argument.name()), variadic: argument.variadic };
}

function valueKind(choices: readonly string[] | undefined, placeholder: string): ValueKind {
  if (choices && choices.length > 0) return { kind: 'choices', choices: [...choices] };
  return { kind: PLACEHOLDERS[placeholder.replace(/\.\.\.$/, '')] ?? 'text' };
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

/** Every command path of a spec (`[]`, `['queue']`, `['queue', 'add']`, …), depth first. */
export function commandPaths(spec: CommandSpec, path: string[] = []): Array<{ path: string[]; spec: CommandSpec }> {
  return [{ path, spec }, ...spec.commands.flatMap((c) => commandPaths(c, [...path, c.name]))];
}
