/**
 * The check of a scripted action from the user, apart from the public `Action` module.
 * @internal
 * @module
 */

const keys = ["return", "raise", "await", "yieldThen", "run"] as const;

/** Checks that `action` has exactly one known key. @internal */
export function checkAction(action: unknown, what: string): void {
  const found = typeof action === "object" && action !== null ? keys.filter((k) => k in action) : [];
  if (found.length !== 1) {
    throw new TypeError(`${what}: expected an action { return }, { raise }, { await }, { yieldThen } or { run }, got ${describe(action)}`);
  }
  if ("run" in (action as object) && typeof (action as { run: unknown }).run !== "function") {
    throw new TypeError(`${what}: { run } must hold a function, got ${typeof (action as { run: unknown }).run}`);
  }
  if ("yieldThen" in (action as object)) checkAction((action as { yieldThen: unknown }).yieldThen, what);
}

function describe(value: unknown): string {
  if (typeof value !== "object" || value === null) return String(value);
  return `an object with keys [${Object.keys(value).join(", ")}]`;
}
