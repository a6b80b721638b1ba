/**
 * A command's name as the tables know it (lower case), read from the bytes a client sent
 * without building a string each time: every command is looked up by name on its way (the
 * connection's checks, the store's dispatch), and names come in few spellings (`GET`, `get`),
 * so each spelling is decoded once and then found by its bytes.
 * @module
 */

/** Spellings kept; past it a name is decoded each time (a client sending random names cannot grow the cache). */
const MAX_SPELLINGS = 4096;
/** The longest name cached (every Redis command name is shorter). */
const MAX_LENGTH = 32;

/** A spelling seen before: its bytes and its lower-case name. */
interface Spelling {
  bytes: Uint8Array;
  name: string;
}

const spellings = new Map<number, Spelling[]>();
let count = 0;

/** FNV-1a of the bytes (hashing, not checking: spellings with the same hash are compared). */
function hashOf(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function decode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1").toLowerCase();
}

/**
 * The lower-case name that `bytes` spell (latin-1, as Redis compares names byte by byte).
 *
 * @example
 * ```ts
 * CommandName.of(Buffer.from("GET")); // "get"
 * ```
 */
export function of(bytes: Uint8Array): string {
  if (bytes.length > MAX_LENGTH) return decode(bytes);
  const hash = hashOf(bytes);
  const known = spellings.get(hash);
  if (known !== undefined) {
    for (const spelling of known) if (sameBytes(spelling.bytes, bytes)) return spelling.name;
  }
  const name = decode(bytes);
  if (count < MAX_SPELLINGS) {
    count++;
    const spelling = { bytes: Uint8Array.from(bytes), name };
    if (known === undefined) spellings.set(hash, [spelling]);
    else known.push(spelling);
  }
  return name;
}
