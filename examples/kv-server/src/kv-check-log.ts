#!/usr/bin/env node
/**
 * The `kv-check-log` program (see check-log.ts): `kv-check-log [--fix] [--yes] FILE`.
 * @module
 */
import * as CheckLog from "./check-log.js";

process.exitCode = await CheckLog.run(process.argv.slice(2), (line) => console.log(line), CheckLog.askOnStdin);
