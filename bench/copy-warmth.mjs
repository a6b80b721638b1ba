// What a copy of a big value costs by where it lands, the measurement behind the main thread's pool
// of warm buffers (packages/eio/src/shared/copy-pool.ts): 200 MB made fresh (every page touched),
// then copied into a fresh ArrayBuffer (as a parcel does), into a SharedArrayBuffer whose pages
// were touched before (the pool's), and out of that one into a fresh ArrayBuffer (the reader's
// copy). One line per round; no eio-ts involved.
//   nice -n -39 node bench/copy-warmth.mjs [MB] [rounds]
const bytes = Number(process.argv[2] ?? 200) * 1_000_000;
const rounds = Number(process.argv[3] ?? 5);

/** A fresh Buffer of `n` bytes with every page touched, as the domains suite's bigBuffer. */
function make(n) {
  const buffer = Buffer.allocUnsafeSlow(n);
  for (let i = 0; i < n; i += 4096) buffer[i] = i >> 12;
  return buffer;
}

const warm = new Uint8Array(new SharedArrayBuffer(bytes)).fill(1);
const ms = (since) => (performance.now() - since).toFixed(1);
for (let round = 0; round < rounds; round++) {
  let t = performance.now();
  const made = make(bytes);
  const makeMs = ms(t);
  t = performance.now();
  const fresh = new Uint8Array(made.buffer, made.byteOffset, made.length).slice();
  const freshMs = ms(t);
  t = performance.now();
  warm.set(made);
  const warmMs = ms(t);
  t = performance.now();
  const out = warm.slice();
  const outMs = ms(t);
  if (fresh[4096] !== 1 || out[8192] !== 2) throw new Error("copy-warmth: wrong bytes");
  console.log(`${bytes / 1e6} MB: make ${makeMs} ms, copy into fresh memory ${freshMs} ms, into warm shared memory ${warmMs} ms, out of it into fresh memory ${outMs} ms`);
}
