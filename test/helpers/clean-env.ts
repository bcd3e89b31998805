// The tests start `ralph` in temporary directories and must not pick up the settings of whoever runs
// them: a RALPH_DIR, RALPH_AGENT_CMD… in the environment (an agent that Ralph itself started, running
// this suite, has RALPH_DIR set) would send them to another queue or agent. A test that wants one
// passes it explicitly.
import { SETTINGS } from '../../src/config/table.js';

for (const setting of SETTINGS) if (setting.env) delete process.env[setting.env];
