import type { Store } from '../store/store.js';

/**
 * `ralph queue pause` / `resume` (and the dashboard's buttons): no worker of any machine claims a
 * task while the queue is paused; tasks already claimed run on. Resuming wakes idle workers (a change
 * of the meta notifies them). Says whether anything changed.
 */
export async function setPaused(store: Store, paused: boolean): Promise<{ changed: boolean; paused: boolean }> {
  const changed = await store.transact(
    (tx) => {
      if (Boolean(tx.meta.paused) === paused) return false;
      tx.setMeta({ paused: paused ? { at: tx.now.toISOString() } : null });
      return true;
    },
    paused ? 'queue pause' : 'queue resume',
    {},
  );
  await store.compact();
  return { changed, paused };
}
