import type { Command } from 'commander';
import { print, printJson } from '../output.js';
import { listAgents } from '../../agents/registry.js';
import { binVariable } from '../../agents/cli-agent.js';
import { describeVerification } from '../../agents/cli-spec.js';

export function registerAgents(program: Command): void {
  program
    .command('agents')
    .description('list the agent CLIs ralph can run (--agent NAME), how each is verified, and whether its binary is found')
    .option('--json', 'print a machine-readable list')
    .addHelpText(
      'after',
      `
Each agent's binary is found from --agent-bin, else RALPH_<NAME>_BIN (e.g. RALPH_CLAUDE_BIN), else its
usual name on PATH. Any other command line can be run with --agent-cmd.

Example:
  $ ralph agents
  $ RALPH_CLAUDE_BIN=~/bin/claude ralph agents --json`,
    )
    .action(async (flags: { json?: boolean }) => {
      const rows = listAgents(process.env, process.cwd()).map(({ spec, lookup }) => ({
        name: spec.name,
        title: spec.title,
        bin: lookup.wanted,
        variable: binVariable(spec.name),
        found: lookup.found ?? null,
        problem: lookup.problem ?? null,
        install: spec.install,
        format: spec.formatNote,
        verified: spec.verified,
      }));
      if (flags.json) {
        printJson({ default: 'claude', agents: rows });
        return;
      }
      const width = Math.max(...rows.map((r) => r.name.length));
      const titles = Math.max(...rows.map((r) => r.title.length));
      const proofs = rows.map((r) => describeVerification(r.verified));
      const proofWidth = Math.max(...proofs.map((p) => p.length));
      rows.forEach((r, i) => {
        const status = r.found ? `found: ${r.found}` : `${r.bin} ${r.problem}; install: ${r.install}`;
        print(`${r.name.padEnd(width)}  ${r.title.padEnd(titles)}  ${proofs[i]!.padEnd(proofWidth)}  ${status}`);
      });
      print('');
      print('Verified: the version the test suite runs against a local mock of the agent\'s API, or "fixtures only"');
      print('(its output format parsed from samples written from its documentation; the binary is not run in the tests).');
      print('Use one with `ralph run --agent NAME` (default claude); point at a binary with --agent-bin or RALPH_<NAME>_BIN.');
    });
}
