/**
 * WATCH, kept by the storage loop: the keys each client watches, and whether one of them was
 * touched since. The table calls {@link touch} through its `onChange` hook after every change
 * of a key (a write, a delete, an expiry), and before a flush; EXEC runs only if none of its
 * client's keys was touched: the version check happens in the storage loop, on the same fiber
 * that runs the transaction, so nothing can slip in between the check and the commands.
 *
 * Redis 7.0's rules, word for word in effect: a key that was already expired when it was
 * watched is not touched by its own removal (only by being set again); a watched key that
 * expires before EXEC aborts it even if nobody removed it yet; FLUSHALL touches the watched
 * keys that existed; a client whose key is touched stops watching the rest.
 * @module
 */
import * as Table from "./table.js";

interface Watcher {
  /** Each watched key, and whether it was already expired when it was watched. */
  keys: Map<string, { expired: boolean }>;
  /** A watched key was touched: EXEC must fail. */
  dirty: boolean;
}

/**
 * The watched keys of every client (opaque: use the functions below).
 *
 * @example
 * ```ts
 * const watches: Watch.Watches = Watch.create(table);
 * ```
 */
export interface Watches {
  /** @internal */ table: Table.Table;
  /** @internal each watched key's watchers */ byKey: Map<string, Set<Watcher>>;
  /** @internal by client id */ byClient: Map<string, Watcher>;
}

/**
 * No watched keys yet, for `table`.
 *
 * @example
 * ```ts
 * const watches = Watch.create(store.table);
 * ```
 */
export function create(table: Table.Table): Watches {
  return { table, byKey: new Map(), byClient: new Map() };
}

/** Present in the table but expired (Redis's keyIsExpired: looked at, not removed). */
function isExpired(table: Table.Table, key: string, now: number): boolean {
  const entry = table.entries.get(key);
  return entry !== undefined && entry.expireAt !== 0 && entry.expireAt <= now;
}

/** The hook is set only while some key is watched: the table pays nothing otherwise. */
function updateHook(watches: Watches): void {
  watches.table.onChange = watches.byKey.size === 0 ? null : (key) => touch(watches, key);
}

/**
 * WATCH `keys` for client `id` at time `now`.
 *
 * @example
 * ```ts
 * Watch.watch(watches, "7:1", ["balance"], Date.now());
 * ```
 */
export function watch(watches: Watches, id: string, keys: string[], now: number): void {
  let watcher = watches.byClient.get(id);
  if (watcher === undefined) watches.byClient.set(id, (watcher = { keys: new Map(), dirty: false }));
  // A client already touched watches nothing more: its EXEC fails whatever happens.
  if (watcher.dirty) return;
  for (const key of keys) {
    if (watcher.keys.has(key)) continue;
    watcher.keys.set(key, { expired: isExpired(watches.table, key, now) });
    let watchers = watches.byKey.get(key);
    if (watchers === undefined) watches.byKey.set(key, (watchers = new Set()));
    watchers.add(watcher);
  }
  updateHook(watches);
}

function forgetKeys(watches: Watches, watcher: Watcher): void {
  for (const key of watcher.keys.keys()) {
    const watchers = watches.byKey.get(key)!;
    watchers.delete(watcher);
    if (watchers.size === 0) watches.byKey.delete(key);
  }
  watcher.keys.clear();
}

/**
 * UNWATCH: client `id` watches nothing any more (also after EXEC and DISCARD, and when it
 * disconnects).
 *
 * @example
 * ```ts
 * Watch.unwatch(watches, "7:1");
 * ```
 */
export function unwatch(watches: Watches, id: string): void {
  const watcher = watches.byClient.get(id);
  if (watcher === undefined) return;
  forgetKeys(watches, watcher);
  watches.byClient.delete(id);
  updateHook(watches);
}

/**
 * Whether client `id`'s EXEC may run at `now`: none of its keys was touched, and none that was
 * live when watched has expired since. Either way the client watches nothing afterwards.
 *
 * @example
 * ```ts
 * if (!Watch.check(watches, "7:1", Date.now())) reply = Resp.NULL_ARRAY;
 * ```
 */
export function check(watches: Watches, id: string, now: number): boolean {
  const watcher = watches.byClient.get(id);
  if (watcher === undefined) return true;
  let ok = !watcher.dirty;
  for (const [key, { expired }] of watcher.keys) if (!expired && isExpired(watches.table, key, now)) ok = false;
  unwatch(watches, id);
  return ok;
}

/**
 * The table's hook: `key` was changed (null: every key is about to be flushed).
 *
 * @example
 * ```ts
 * Watch.touch(watches, "balance"); // each client watching it will have its EXEC fail
 * ```
 */
export function touch(watches: Watches, key: string | null): void {
  const keys = key === null ? [...watches.byKey.keys()] : [key];
  for (const touched of keys) {
    const watchers = watches.byKey.get(touched);
    if (watchers === undefined) continue;
    // Before a flush the key is still there: a watched key that does not exist is not touched.
    const exists = watches.table.entries.has(touched);
    if (key === null && !exists) continue;
    for (const watcher of [...watchers]) {
      if (watcher.keys.get(touched)!.expired) {
        // An expired key removed (or flushed) is no logical change; set again, it is one.
        if (key === null || !exists) {
          watcher.keys.get(touched)!.expired = false;
          continue;
        }
      }
      watcher.dirty = true;
      forgetKeys(watches, watcher);
    }
  }
  updateHook(watches);
}
