/**
 * Moving a fiber between cancellation contexts (Eio's `move_fiber_to` and `with_cc`): what
 * `Cancel.protect`, `Cancel.sub` and `Switch.run` are built on.
 * @internal
 * @module
 */
import { CancelContext } from "./cancel-context.js";
import { currentFiber, type Fiber, type Operation, runBody } from "./scheduler.js";

/** Moves a fiber into another context (Eio's `move_fiber_to`). @internal */
export function moveFiberTo(fiber: Fiber, ctx: CancelContext): void {
  fiber.ctx.removeFiber(fiber);
  ctx.addFiber(fiber);
  fiber.ctx = ctx;
}

/**
 * Runs `fn` in a fresh context under `parent` (Eio's `with_cc`). An unprotected context checks
 * its parent first. @internal
 */
export function* withContext<T>(
  parent: CancelContext,
  isProtected: boolean,
  purpose: string,
  fn: (ctx: CancelContext) => unknown,
): Operation<T> {
  const fiber = currentFiber();
  if (!isProtected) {
    const error = parent.cancelError();
    if (error !== null) throw error;
  }
  const ctx = new CancelContext(parent, isProtected, purpose);
  moveFiberTo(fiber, ctx);
  try {
    return yield* runBody<T>(fn(ctx));
  } finally {
    moveFiberTo(fiber, parent);
    ctx.finish();
  }
}
