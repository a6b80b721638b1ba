/** A test domain: attaches the arena, runs one scenario under Eio.run, posts its result. */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import * as Eio from "../../src/index.js";
import { attachArena, attachBufferPort, decodeAndFree, encodeValue } from "../../src/shared/index.js";
import * as scenarios from "./scenarios.js";

const { buffer, domainId, scenario, argsRef, bufferPort } = workerData as {
  buffer: SharedArrayBuffer;
  domainId: number;
  scenario: keyof typeof scenarios;
  argsRef: number;
  bufferPort: MessagePort;
};
attachArena(buffer, domainId);
attachBufferPort(bufferPort);
const args = decodeAndFree(argsRef) as unknown[];
const body = scenarios[scenario] as (...a: unknown[]) => unknown;
Eio.run(() => body(...args)).then(
  (value) => parentPort!.postMessage({ ok: true, ref: encodeValue(value) }),
  (error: unknown) => parentPort!.postMessage({ ok: false, message: String((error as Error)?.stack ?? error) }),
);
