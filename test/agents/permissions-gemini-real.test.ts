// `ralph run --permissions auto|edit|read-only` with the real Gemini CLI against its mock API
// (test/support/permissions-suite.ts). ~10 s alone.
import { PROBES } from '../support/permission-probes.js';
import { permissionsSuite } from '../support/permissions-suite.js';

permissionsSuite(PROBES.filter((p) => p.agent === 'gemini'));
