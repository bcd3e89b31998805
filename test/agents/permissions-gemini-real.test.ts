// `ralph run --permissions auto|edit|read-only` with the real Gemini CLI against its mock API
// (test/helpers/permissions-suite.ts). ~10 s alone.
import { PROBES } from '../helpers/permission-probes.js';
import { permissionsSuite } from '../helpers/permissions-suite.js';

permissionsSuite(PROBES.filter((p) => p.agent === 'gemini'));
