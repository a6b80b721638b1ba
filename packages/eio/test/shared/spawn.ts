/** Starts a test domain (a real worker thread sharing the arena) running a scenario. */
import { Worker } from "node:worker_threads";
import * as Eio from "../../src/index.js";
import type { Operation } from "../../src/core/scheduler.js";
import { allocateDomainId, connectBufferPeer, currentArena, decodeAndFree, encodeValue, retireDomain } from "../../src/shared/index.js";
import type * as scenarios from "./scenarios.js";

const boot = new URL("./domain-boot.mjs", import.meta.url);

/** Runs `scenario(...args)` in a new domain; resolves with its result. */
export function spawn(scenario: keyof typeof scenarios, ...args: unknown[]): Promise<unknown> {
  const { buffer } = currentArena();
  const domainId = allocateDomainId();
  const argsRef = encodeValue(args);
  return new Promise((resolve, reject) => {
    const bufferPort = connectBufferPeer();
    const worker = new Worker(boot, { workerData: { buffer, domainId, scenario, argsRef, bufferPort }, transferList: [bufferPort] });
    let settled = false;
    let outcome: (() => void) | null = null;
    worker.on("message", (message: { ok: boolean; ref?: number; message?: string }) => {
      settled = true;
      // Settle once the domain is gone and retired (its references given back).
      if (message.ok) {
        const value = decodeAndFree(message.ref!);
        outcome = () => resolve(value);
      } else {
        outcome = () => reject(new Error(`domain ${domainId} (${scenario}) failed: ${message.message}`));
      }
    });
    worker.on("error", (error) => {
      settled = true;
      outcome = () => reject(error);
    });
    worker.on("exit", (code) => {
      retireDomain(domainId, { crashed: !settled });
      if (outcome !== null) outcome();
      else reject(new Error(`domain ${domainId} (${scenario}) exited with code ${code}`));
    });
  });
}

/** {@link spawn} from inside a fiber: waits without blocking the other fibers. */
export function* inDomain<T>(scenario: keyof typeof scenarios, ...args: unknown[]): Operation<T> {
  return (yield* Eio.Fiber.awaitNative(spawn(scenario, ...args))) as T;
}
