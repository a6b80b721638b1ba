/**
 * The network capability, apart from the `Net` module that re-exports its type: a run's env
 * and the checks of `Net`'s functions both need the one value.
 * @internal
 * @module
 */

/**
 * The network capability, `env.net` (Eio's `Net.t`): code that is given it may use the network.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => {
 *   const net: Eio.Net.Net = env.net;
 *   console.log(net === Eio.Stdenv.net(env));
 * });
 * ```
 */
export interface Net {
  /** @internal */
  readonly kind: "net";
}

/** The one value of {@link Net}: `env.net` of every run. */
export const theNet: Net = Object.freeze({ kind: "net" as const });
