// workerpool's worker script: it registers functions by name instead of loading a module.
import workerpool from "workerpool";
import { fib, noop } from "./pool-tasks.mjs";

workerpool.worker({ noop, fib });
