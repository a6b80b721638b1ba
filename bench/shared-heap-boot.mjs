// Worker entry for bench/shared-heap.ts: load the TypeScript sources through tsx.
import { register } from "tsx/esm/api";
register();
await import("./shared-heap-worker.ts");
