#!/usr/bin/env node
/**
 * The `kv-check-log` program (see check-log.ts): `kv-check-log [--fix] [--yes] FILE`.
 * @module
 */
import * as Eio from "eio-ts";
import * as CheckLog from "./check-log.js";

await Eio.run(function* (env) {
  const ask = (question: string) => CheckLog.askOn(env.stdin, question);
  process.exitCode = yield* CheckLog.run(env.fs, process.argv.slice(2), (line) => console.log(line), ask);
});
