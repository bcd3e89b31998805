import type { CommandTable } from './main.js';

// Each command's module, in the order of `ralph --help`. Only the invoked command's module is
// loaded: every command starts faster for not loading the others.
export const COMMANDS: CommandTable = [
  [['init'], async () => (await import('./commands/init.js')).registerInit],
  [['run'], async () => (await import('./commands/run.js')).registerRun],
  [['worker'], async () => (await import('./commands/worker.js')).registerWorker],
  [['status'], async () => (await import('./commands/status.js')).registerStatus],
  [['logs'], async () => (await import('./commands/logs.js')).registerLogs],
  [['report'], async () => (await import('./commands/report.js')).registerReport],
  [['say'], async () => (await import('./commands/say.js')).registerSay],
  [['ctl'], async () => (await import('./commands/ctl.js')).registerCtl],
  [['dashboard'], async () => (await import('./commands/dashboard.js')).registerDashboard],
  [['queue'], async () => (await import('./commands/queue.js')).registerQueue],
  [['config'], async () => (await import('./commands/config.js')).registerConfig],
  [['doctor'], async () => (await import('./commands/doctor.js')).registerDoctor],
  [['agents'], async () => (await import('./commands/agents.js')).registerAgents],
  [['worktrees'], async () => (await import('./commands/worktrees.js')).registerWorktrees],
  [['unlock'], async () => (await import('./commands/unlock.js')).registerUnlock],
  [['supervisor', 'loop', 'pair'], async () => (await import('./commands/loops.js')).registerLoops],
  [['stamp-handoff'], async () => (await import('./commands/stamp-handoff.js')).registerStampHandoff],
  [['tail-logs'], async () => (await import('./commands/tail-logs.js')).registerTailLogs],
  [['completion'], async () => (await import('./commands/completion.js')).registerCompletion],
];
