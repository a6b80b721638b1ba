// The tasks every worker pool runs: piscina and tinypool load this module directly (default
// export, or a named one), eio-ts names them with `Eio.task(url, "noop")`, and workerpool wraps
// them in workerpool-worker.mjs.

/** A trivial task: the cost measured is the pool's own. */
export function noop(x) {
  return x;
}

/** A CPU-bound task: fib(25) takes about a millisecond. */
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export default noop;
