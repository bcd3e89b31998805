// `ralph run --permissions auto|edit|read-only` with the real Claude Code, Codex, Copilot and opencode CLIs
// against their mock APIs (test/helpers/permissions-suite.ts); Gemini CLI, the slowest to start, in
// permissions-gemini-real.test.ts. ~9 s alone.
import { PROBES } from '../helpers/permission-probes.js';
import { permissionsSuite } from '../helpers/permissions-suite.js';

permissionsSuite(PROBES.filter((p) => p.agent !== 'gemini'));
