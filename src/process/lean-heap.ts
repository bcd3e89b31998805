import { setFlagsFromString } from 'node:v8';

/**
 * Keeps a long-lived worker's JavaScript heap near what it holds. V8 sizes the heap for throughput:
 * while a worker claims and reports tasks back to back, it doubles its young generation up to 32 MiB
 * and lets the old one fill to four times what survives before collecting it, some 40 MiB in all for
 * a process that holds under 10. A worker mostly waits on its agent: it gains nothing from that.
 *
 * Both settings are read by V8 each time it decides (not only at start), so they take effect here,
 * after start; the young generation then stays at its first size (`--max-semi-space-size` would do
 * the same, but only on the command line, which a worker started by hand does not have), and the old
 * generation is collected once it has doubled. A V8 that ignored them would only use more memory
 * (test/process/lean-heap.test.ts would say so). Measured with no-op tasks back to back: peak RSS
 * 96-101 MiB before, 72-74 after, throughput unchanged (docs/performance.md).
 */
export function leanHeap(): void {
  // scripts/worker-loader.cjs sets the same, before it compiles the worker's bundle with its code cache.
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=100');
}
