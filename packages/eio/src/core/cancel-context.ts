/**
 * The tree of cancellation contexts of one domain (Eio's `Cancel.t`).
 *
 * Every fiber is in exactly one context. Cancelling a context marks it and its unprotected
 * descendants, then calls the cancel function of every fiber waiting in them: as in Eio, the
 * fibers of child contexts (depth first) before the context's own, each context's fibers in the
 * order they joined it. Marking happens first, so a fiber woken by cancellation that tries to
 * block again sees the cancellation at once. `AbortSignal`s are aborted last.
 *
 * Membership lists are intrusive (links live in the fiber and in the child context, as Eio's
 * `Lwt_dllist`): joining and leaving happen on every fork, exit and `Switch.run`, so they must
 * not allocate.
 * @internal
 * @module
 */
import { Cancelled, combineErrors } from "./errors.js";
import type { Fiber } from "./scheduler.js";

let nextContextId = 0;

export class CancelContext {
  readonly id = nextContextId++;
  /** Null while on; the reason once cancelled. */
  reason: unknown = null;
  cancelled = false;
  finished = false;
  /** First and last fiber in this context, linked through `fiber.ctxPrev`/`ctxNext`. */
  firstFiber: Fiber | null = null;
  lastFiber: Fiber | null = null;
  /** Child contexts, linked through `prevSibling`/`nextSibling`. */
  firstChild: CancelContext | null = null;
  lastChild: CancelContext | null = null;
  prevSibling: CancelContext | null = null;
  nextSibling: CancelContext | null = null;
  private controller: AbortController | null = null;
  /** The switch whose context this is, if one is (traces name a fiber's switch). */
  owner: object | null = null;

  constructor(
    readonly parent: CancelContext | null,
    readonly isProtected: boolean,
    readonly purpose: string,
  ) {
    if (parent !== null) {
      const last = parent.lastChild;
      this.prevSibling = last;
      if (last === null) parent.firstChild = this;
      else last.nextSibling = this;
      parent.lastChild = this;
      if (!isProtected && parent.cancelled) {
        this.cancelled = true;
        this.reason = parent.reason;
      }
    }
  }

  /** Adds `fiber` at the end of this context's fibers. */
  addFiber(fiber: Fiber): void {
    const last = this.lastFiber;
    fiber.ctxPrev = last;
    fiber.ctxNext = null;
    if (last === null) this.firstFiber = fiber;
    else last.ctxNext = fiber;
    this.lastFiber = fiber;
  }

  /** Removes `fiber`, which must be in this context. */
  removeFiber(fiber: Fiber): void {
    const prev = fiber.ctxPrev;
    const next = fiber.ctxNext;
    if (prev === null) this.firstFiber = next;
    else prev.ctxNext = next;
    if (next === null) this.lastFiber = prev;
    else next.ctxPrev = prev;
    fiber.ctxPrev = null;
    fiber.ctxNext = null;
  }

  /** The error a blocking operation here should throw, or null if the context is on. */
  cancelError(): Cancelled | null {
    return this.cancelled ? new Cancelled(this.reason) : null;
  }

  /** An `AbortSignal` that aborts (with the reason) when this context is cancelled. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Leaves the tree; called when the owner (switch, sub, protect) ends. */
  finish(): void {
    this.finished = true;
    const parent = this.parent;
    if (parent === null) return;
    const prev = this.prevSibling;
    const next = this.nextSibling;
    if (prev === null) parent.firstChild = next;
    else prev.nextSibling = next;
    if (next === null) parent.lastChild = prev;
    else next.prevSibling = prev;
    this.prevSibling = null;
    this.nextSibling = null;
  }

  /**
   * Cancels this context and its unprotected descendants. Errors thrown by cancel functions
   * are combined and rethrown after every fiber has been told.
   */
  cancel(reason: unknown): void {
    const fibers: Fiber[] = [];
    const aborted: CancelContext[] = [];
    this.mark(reason, fibers, aborted);
    let failure: unknown = undefined;
    let failed = false;
    for (const fiber of fibers) {
      const cancelFn = fiber.cancelFn;
      if (cancelFn === null) continue;
      fiber.cancelFn = null;
      try {
        cancelFn(new Cancelled(reason), fiber);
      } catch (error) {
        failure = failed ? combineErrors(failure, error) : error;
        failed = true;
      }
    }
    // Signals last: their listeners are user code, and must see the whole subtree cancelled.
    for (const ctx of aborted) ctx.controller!.abort(reason);
    if (failed) throw failure;
  }

  /** Eio's `cancel_internal`: children's fibers (depth first) before this context's own. */
  private mark(reason: unknown, fibers: Fiber[], aborted: CancelContext[]): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reason = reason;
    if (this.controller !== null) aborted.push(this);
    for (let child = this.firstChild; child !== null; child = child.nextSibling) {
      if (!child.isProtected) child.mark(reason, fibers, aborted);
    }
    for (let fiber = this.firstFiber; fiber !== null; fiber = fiber.ctxNext) fibers.push(fiber);
  }

  /** Every fiber in this subtree that is waiting on something, for deadlock reports. */
  waitingFibers(into: Fiber[] = []): Fiber[] {
    for (let fiber = this.firstFiber; fiber !== null; fiber = fiber.ctxNext) if (!fiber.isDone) into.push(fiber);
    for (let child = this.firstChild; child !== null; child = child.nextSibling) child.waitingFibers(into);
    return into;
  }
}
