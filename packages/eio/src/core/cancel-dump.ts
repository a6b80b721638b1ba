/**
 * The cancellation tree as text, as Eio's `Cancel.dump` prints it: a context's state and the
 * ids of its fibers, then its child contexts, each indented two more.
 * @internal
 * @module
 */
import type { CancelContext } from "./cancel-context.js";

function state(ctx: CancelContext): string {
  const s = ctx.finished ? "finished" : ctx.cancelled ? `cancelling(${String(ctx.reason)})` : "on";
  return ctx.isProtected ? `${s} (protected)` : s;
}

/** `ctx` and its descendants, one context per line. @internal */
export function dumpContext(ctx: CancelContext, indent = ""): string {
  const fibers: number[] = [];
  for (let f = ctx.firstFiber; f !== null; f = f.ctxNext) fibers.push(f.id);
  let out = `${indent}${state(ctx)} [${fibers.join(",")}]`;
  for (let c = ctx.firstChild; c !== null; c = c.nextSibling) out += `\n${dumpContext(c, `${indent}  `)}`;
  return out;
}
