/**
 * One domain's accept loop (Eio's `run_server_loop`): the calling domain of `Net.runServer`
 * and each of its additional domains run it on their own listening socket.
 * @internal
 * @module
 */
import { first } from "../core/fiber.js";
import { type Operation, runBody } from "../core/scheduler.js";
import type { Switch } from "../core/switch.js";
import { acquireSlot, releaseSlot } from "./connection-limit.js";
import type { ListeningSocket } from "./listening-socket.js";
import { acceptFork } from "./net.js";
import type { StreamAddr } from "./sockaddr.js";
import type { Stream } from "./net-stream.js";

/** Everything one domain's accept loop needs. */
export interface LoopConfig {
  handler: (flow: Stream, addr: StreamAddr) => unknown;
  limitCells: Int32Array | null;
  maxConnections: number;
  awaitStop: (() => Operation<unknown>) | null;
  onError: (error: unknown) => unknown;
}

/** One domain's accept loop (Eio's `run_server_loop`), in switch `sw`. */
export function* serverLoop(sw: Switch, socket: ListeningSocket, config: LoopConfig): Operation<unknown> {
  const { handler, limitCells, maxConnections } = config;
  const handle = limitCells === null
    ? handler
    : function* (flow: Stream, addr: StreamAddr): Operation<unknown> {
        try {
          return yield* runBody(handler(flow, addr));
        } finally {
          releaseSlot(limitCells);
        }
      };
  function* acceptLoop(): Operation<never> {
    for (;;) {
      if (limitCells !== null) yield* acquireSlot(limitCells, maxConnections);
      try {
        yield* acceptFork(sw, socket, handle, { onError: config.onError });
      } catch (error) {
        if (limitCells !== null) releaseSlot(limitCells);
        throw error;
      }
    }
  }
  const awaitStop = config.awaitStop;
  if (awaitStop === null) return yield* acceptLoop();
  return yield* first<unknown>(acceptLoop, awaitStop);
}
