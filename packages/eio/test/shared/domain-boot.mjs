// Vitest cannot load a .ts worker entry on Node 20: register tsx, then load the real entry.
import { register } from "tsx/esm/api";
register();
await import("./domain-worker.ts");
