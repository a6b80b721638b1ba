// The floor of the shared-promise round trip when the ping is a JS value, as the domains suite's
// eio-ts ping-pong sends it: the message `{ i, pong, next }`, a record holding a number and two
// promise handles. lib/floor-promise.mjs carries three integers in the cell, which no codec can
// do for a value it has not seen; this floor adds only what any design that passes JS values
// between threads in shared memory must do for this one:
// - the sender makes a handle object per promise it creates (the value names them);
// - it writes the record generically into a block of shared memory: the number of fields, then
//   for each its key (length and UTF-16 units) and its item (a tag, then an int32, a float64, a
//   string's units, or a handle's cell); a typeof switch over the kinds of item a message holds;
// - the receiver reads the block back into a new object of the same keys, reusing a function
//   that builds records of that shape (cached by the words of the keys, as eio-ts does), and a
//   new handle object for each promise named;
// - the answer, a small integer, travels inline in the cell, tagged.
// It still has no reference counts, no locks, no cycle collection, no waiter queue, no
// allocator shared between threads: the main thread reuses a round trip's cells and block
// once its answer is in, as the plain floor does.
import { Worker } from "node:worker_threads";
import { once } from "node:events";
import { floorRuntime, VALUE } from "./floor-promise.mjs";

const CELL_WORDS = 8;
const CELLS_START = 32;
const CELLS = 1 << 12;
const BLOCK_WORDS = 32;
const BLOCKS = 1 << 10;
const BLOCKS_START = CELLS_START + CELLS * CELL_WORDS;
const TAG_INT = 1;
const TAG_NUMBER = 2;
const TAG_STRING = 3;
const TAG_HANDLE = 4;
const TAG_TRUE = 5;
const TAG_FALSE = 6;
const TAG_NULL = 7;
const TAG_UNDEFINED = 8;

/** What each side holds for a promise: the object the value names. */
export class Handle {
  constructor(cell) {
    this.cell = cell;
  }
}

/** The codec of thread-side `words` (an Int32Array on the shared buffer). */
export function floorCodec(words) {
  const u16 = new Uint16Array(words.buffer);
  const f64 = new Float64Array(words.buffer);
  const shapes = new Array(64).fill(undefined);
  // Scratch space of decode: the fields read and where each key starts.
  const fields = new Array(16).fill(undefined);
  const keysAt = new Int32Array(16);

  function writeChars(p, text) {
    const length = text.length;
    words[p++] = length;
    const start = p << 1;
    for (let i = 0; i < length; i++) u16[start + i] = text.charCodeAt(i);
    if ((length & 1) !== 0) u16[start + length] = 0;
    return p + ((length + 1) >> 1);
  }

  function readChars(p, length) {
    let text = "";
    for (let i = 0; i < length; i++) text += String.fromCharCode(u16[(p << 1) + i]);
    return text;
  }

  /** Writes `record` at word `block` (the block holds BLOCK_WORDS words). */
  function encode(record, block) {
    const end = block + BLOCK_WORDS;
    let p = block + 1;
    let count = 0;
    for (const key in record) {
      const item = record[key];
      // The whole field is sized before any of it is written: nothing lands past the block.
      const itemWords = typeof item === "string" ? 2 + ((item.length + 1) >> 1) : 4;
      if (p + 1 + ((key.length + 1) >> 1) + itemWords > end) throw new RangeError("floor codec: the record does not fit its block");
      p = writeChars(p, key);
      switch (typeof item) {
        case "number":
          if ((item | 0) === item) {
            words[p++] = TAG_INT;
            words[p++] = item;
          } else {
            words[p++] = TAG_NUMBER;
            if ((p & 1) !== 0) p++;
            f64[p >> 1] = item;
            p += 2;
          }
          break;
        case "string":
          words[p++] = TAG_STRING;
          p = writeChars(p, item);
          break;
        case "boolean":
          words[p++] = item ? TAG_TRUE : TAG_FALSE;
          break;
        case "undefined":
          words[p++] = TAG_UNDEFINED;
          break;
        case "object":
          if (item === null) {
            words[p++] = TAG_NULL;
          } else if (item instanceof Handle) {
            words[p++] = TAG_HANDLE;
            words[p++] = item.cell;
          } else {
            throw new TypeError("floor codec: only numbers, strings, booleans, null, undefined and handles");
          }
          break;
        default:
          throw new TypeError("floor codec: only numbers, strings, booleans, null, undefined and handles");
      }
      count++;
    }
    words[block] = count;
  }

  /** Builds the record at word `block`. */
  function decode(block) {
    const count = words[block];
    let p = block + 1;
    let hash = count;
    if (count > 16) throw new RangeError("floor codec: at most 16 fields");
    for (let i = 0; i < count; i++) {
      const length = words[p];
      const keyWords = (length + 1) >> 1;
      keysAt[i] = p;
      for (let k = 0; k <= keyWords; k++) hash = (Math.imul(hash, 31) + words[p + k]) | 0;
      p += 1 + keyWords;
      switch (words[p++]) {
        case TAG_INT:
          fields[i] = words[p++];
          break;
        case TAG_NUMBER:
          if ((p & 1) !== 0) p++;
          fields[i] = f64[p >> 1];
          p += 2;
          break;
        case TAG_STRING: {
          const length = words[p];
          fields[i] = readChars(p + 1, length);
          p += 1 + ((length + 1) >> 1);
          break;
        }
        case TAG_TRUE:
          fields[i] = true;
          break;
        case TAG_FALSE:
          fields[i] = false;
          break;
        case TAG_NULL:
          fields[i] = null;
          break;
        case TAG_UNDEFINED:
          fields[i] = undefined;
          break;
        case TAG_HANDLE:
          fields[i] = new Handle(words[p++]);
          break;
      }
    }
    const record = shapeOf(count, hash).build(fields);
    for (let i = 0; i < count; i++) fields[i] = undefined;
    return record;
  }

  /** The builder of records with the `count` keys at `keysAt`, cached by `hash` and checked word by word. */
  function shapeOf(count, hash) {
    const slot = hash & 63;
    const cached = shapes[slot];
    if (cached !== undefined && cached.count === count) {
      let same = true;
      for (let i = 0, at = 0; i < count && same; i++) {
        const p = keysAt[i];
        const n = 1 + ((words[p] + 1) >> 1);
        for (let k = 0; k < n && same; k++) same = cached.keyWords[at++] === words[p + k];
      }
      if (same) return cached;
    }
    const keys = [];
    const keyWords = [];
    for (let i = 0; i < count; i++) {
      const p = keysAt[i];
      keys.push(readChars(p + 1, words[p]));
      for (let k = 0; k < 1 + ((words[p] + 1) >> 1); k++) keyWords.push(words[p + k]);
    }
    const literal = keys.map((key, i) => `${JSON.stringify(key)}: f[${i}]`).join(", ");
    const shape = { count, keyWords: Int32Array.from(keyWords), build: new Function("f", `return { ${literal} };`) };
    shapes[slot] = shape;
    return shape;
  }

  return { encode, decode };
}

/** The shared buffer's size, in words. */
export const FLOOR_VALUE_WORDS = BLOCKS_START + BLOCKS * BLOCK_WORDS;

/** Starts the worker side (workers/floor-value-promise.mjs); `roundTrips(n, latencies?)` runs n on this thread. */
export async function startFloorValuePromise() {
  const buffer = new SharedArrayBuffer(FLOOR_VALUE_WORDS * 4);
  const words = new Int32Array(buffer);
  const freeCells = [];
  for (let i = CELLS - 1; i >= 0; i--) freeCells.push(CELLS_START + i * CELL_WORDS);
  const freeBlocks = [];
  for (let i = BLOCKS - 1; i >= 0; i--) freeBlocks.push(BLOCKS_START + i * BLOCK_WORDS);
  const alloc = () => {
    const cell = freeCells.pop();
    words.fill(0, cell, cell + CELL_WORDS);
    return cell;
  };
  let ping = new Handle(alloc());
  const worker = new Worker(new URL("../workers/floor-value-promise.mjs", import.meta.url), { workerData: { buffer, first: ping.cell } });
  await once(worker, "online");
  const rt = floorRuntime(words, 0);
  const codec = floorCodec(words);
  return {
    /** `latencies`, if given, receives the time (ms) of every 16th round trip. */
    roundTrips(n, latencies) {
      rt.run(
        (function* pings() {
          for (let i = 0; i < n; i++) {
            const timed = latencies !== undefined && (i & 15) === 0;
            const started = timed ? performance.now() : 0;
            const pong = new Handle(alloc());
            const next = new Handle(alloc());
            const block = freeBlocks.pop();
            codec.encode({ i, pong, next }, block);
            rt.resolve(ping.cell, block, 0, 0);
            const cell = yield* rt.await(pong.cell);
            const answer = words[cell + VALUE] >> 1;
            if (answer !== i) throw new Error(`floor ping-pong: got ${answer} for ${i}`);
            // The worker has read the ping (it answered) and resolved the pong: all are done.
            freeCells.push(ping.cell, pong.cell);
            freeBlocks.push(block);
            ping = next;
            if (timed) latencies.push(performance.now() - started);
          }
        })(),
      );
    },
    async stop() {
      rt.resolve(ping.cell, 0, 0, 0); // no message: the worker ends
      await once(worker, "exit");
    },
  };
}
