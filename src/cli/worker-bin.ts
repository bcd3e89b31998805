// `ralph worker` alone: the entry `ralph run` starts its workers from. The build bundles it into one
// CommonJS file, dist/cli/worker-bundle.cjs, which dist/cli/worker.cjs loads with V8's code cache
// (scripts/bundle-worker.mjs): a worker process then loads one file instead of ~45 ES modules, and
// compiles little of it. Same code, same flags.
import { main } from './main.js';
import { registerWorker } from './commands/worker.js';

void main(process.argv, [[['worker'], async () => registerWorker]]);
