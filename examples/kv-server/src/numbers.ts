/**
 * Numbers as Redis 7.0 reads and writes them: 64-bit integers (`string2ll`), doubles (`strtod`,
 * replied with `%.17g`) and the 80-bit long doubles of INCRBYFLOAT and HINCRBYFLOAT (`strtold`,
 * written with `%.17Lf` less its trailing zeros), computed exactly with BigInt so that
 * `INCRBYFLOAT k 0.1` answers what Redis answers, digit for digit.
 * @module
 */

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * The 64-bit integer spelled by `bytes` (no sign `+`, spaces or leading zeros), or null.
 *
 * @example
 * ```ts
 * parseInteger(Buffer.from("-42")); // -42n
 * parseInteger(Buffer.from("042")); // null
 * ```
 */
export function parseInteger(bytes: Uint8Array): bigint | null {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  if (!/^(0|-?[1-9][0-9]{0,19})$/.test(text)) return null;
  const n = BigInt(text);
  return n > INT64_MAX || n < INT64_MIN ? null : n;
}

/**
 * {@link parseInteger} for the common case, as a number without a BigInt or a string made: the
 * integer spelled by `bytes` if it has at most 15 digits (so it is exact), or null when it is
 * not such an integer (longer, or not an integer at all: ask {@link parseInteger} then).
 *
 * @example
 * ```ts
 * smallInteger(Buffer.from("-42")); // -42
 * smallInteger(Buffer.from("1234567890123456")); // null: parseInteger says 1234567890123456n
 * ```
 */
export function smallInteger(bytes: Uint8Array): number | null {
  const length = bytes.length;
  const negative = length > 1 && bytes[0] === 0x2d;
  let i = negative ? 1 : 0;
  if (length === i || length - i > 15) return null;
  // A leading zero is "0" alone (parseInteger refuses "-0" and "01").
  if (bytes[i] === 0x30) return length === 1 ? 0 : null;
  let value = 0;
  for (; i < length; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/**
 * True when `n` fits in a signed 64-bit integer.
 *
 * @example
 * ```ts
 * inInt64(2n ** 63n); // false
 * ```
 */
export function inInt64(n: bigint): boolean {
  return n >= INT64_MIN && n <= INT64_MAX;
}

/**
 * What `strtod` reads at the start of `text`: the value, how many characters it took (0: none),
 * and the exact number it spelled, as `mantissa * base^exponent` (base 10, or 2 for hex).
 */
function strtod(text: string): { value: number; end: number; mantissa: bigint; base: 2n | 10n; exponent: number } {
  const none = { value: 0, end: 0, mantissa: 0n, base: 10n as const, exponent: 0 };
  const hex = /^[ \t\n\v\f\r]*([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?/.exec(text);
  if (hex !== null) {
    const [, sign, whole = "", fraction1, fraction2, exp] = hex;
    const fraction = fraction1 ?? fraction2 ?? "";
    const mantissa = BigInt(`0x${whole}${fraction}` === "0x" ? "0" : `0x${whole}${fraction}`);
    const exponent = Number(exp ?? "0") - 4 * fraction.length;
    const magnitude = Number(mantissa) * 2 ** exponent;
    return { value: sign === "-" ? -magnitude : magnitude, end: hex[0].length, mantissa, base: 2n, exponent };
  }
  const match = /^[ \t\n\v\f\r]*([+-]?)(?:(inf(?:inity)?|nan)|([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?)/i.exec(text)!;
  const [, sign, word, whole = "", fraction = "", exp] = match;
  const negative = sign === "-";
  if (word !== undefined) {
    const value = word.toLowerCase().startsWith("inf") ? Infinity : NaN;
    return { ...none, value: negative ? -value : value, end: match[0].length };
  }
  if (whole === "" && fraction === "") return none;
  const value = Number(`${sign}${whole === "" ? "0" : whole}.${fraction}e${exp ?? "0"}`);
  const exponent = Number(exp ?? "0") - fraction.length;
  return { value, end: match[0].length, mantissa: BigInt(whole + fraction), base: 10n, exponent };
}

/** The longest text {@link plainDecimal} reads: ECMAScript rounds exactly up to 20 significant digits. */
const MAX_PLAIN = 20;

/**
 * The value of a plain decimal (an optional sign, digits, at most one dot, at least one digit,
 * no exponent) of up to {@link MAX_PLAIN} bytes, or null for any other text: the common score
 * ("0", "1.5"), read without the regular expressions and BigInts of `strtod`. Such text is
 * always in range and never NaN, and `Number` reads it as `strtod` does (correctly rounded).
 */
function plainDecimal(bytes: Uint8Array): number | null {
  const length = bytes.length;
  if (length === 0 || length > MAX_PLAIN) return null;
  const negative = bytes[0] === 0x2d;
  let i = negative || bytes[0] === 0x2b ? 1 : 0;
  let digits = 0;
  let dot = false;
  // An integer of up to 15 digits is summed exactly as it is read (no string made).
  let value = 0;
  for (; i < length; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x30 && byte <= 0x39) {
      digits++;
      value = value * 10 + (byte - 0x30);
    } else if (byte === 0x2e && !dot) dot = true;
    else return null;
  }
  if (digits === 0) return null;
  if (!dot && digits <= 15) return negative ? -value : value;
  return Number(Buffer.from(bytes.buffer, bytes.byteOffset, length).toString("latin1"));
}

/**
 * A double as Redis's `string2d` reads it (ZADD's scores, ZINCRBY's increment): all of the text
 * must be a number, no leading space, not NaN, and not out of range; "inf" and "-inf" are fine.
 *
 * @example
 * ```ts
 * parseDouble(Buffer.from("1.5")); // 1.5
 * parseDouble(Buffer.from("abc")); // null
 * ```
 */
export function parseDouble(bytes: Uint8Array): number | null {
  const plain = plainDecimal(bytes);
  if (plain !== null) return plain;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  if (text.length === 0 || /^[ \t\n\v\f\r]/.test(text)) return null;
  const read = strtod(text);
  if (read.end !== text.length || Number.isNaN(read.value)) return null;
  // ERANGE: a finite number too large, or one too small to be anything but zero.
  if (read.mantissa !== 0n && (!Number.isFinite(read.value) || read.value === 0)) return null;
  return read.value;
}

/**
 * A score bound as ZRANGEBYSCORE reads it (`zslParseRange`: `strtod` on the text after an
 * optional "(", which makes it exclusive; leading spaces and an empty number are allowed), or null.
 *
 * @example
 * ```ts
 * parseScoreBound(Buffer.from("(1")); // { value: 1, exclusive: true }
 * ```
 */
export function parseScoreBound(bytes: Uint8Array): { value: number; exclusive: boolean } | null {
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  const exclusive = text.startsWith("(");
  if (exclusive) text = text.slice(1);
  // strtod stops at a NUL byte as at the end of a C string.
  const nul = text.indexOf("\0");
  if (nul >= 0) text = text.slice(0, nul);
  const read = strtod(text);
  if (read.end !== text.length || Number.isNaN(read.value)) return null;
  return { value: read.value, exclusive };
}

/**
 * `d` as C's `printf("%.17g")`, which Redis 7.0 uses for scores.
 *
 * @example
 * ```ts
 * formatDouble(1.1); // "1.1000000000000001"
 * formatDouble(Infinity); // "inf"
 * ```
 */
export function formatDouble(d: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) return "nan";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  const [mantissa, expText] = d.toExponential(16).split("e") as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 17) {
    const trimmed = mantissa.includes(".") ? mantissa.replace(/0+$/, "").replace(/\.$/, "") : mantissa;
    return `${trimmed}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace(/[-.]/g, "");
  let out: string;
  if (exp >= 0) {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    out = `0.${"0".repeat(-exp - 1)}${digits}`;
  }
  out = out.replace(/0+$/, "").replace(/\.$/, "");
  return negative ? `-${out}` : out;
}

/**
 * An x87 80-bit long double, exactly: `sign * m * 2^e` with a 64-bit `m`, or an infinity.
 *
 * @example
 * ```ts
 * const x: LongDouble = parseLongDouble(Buffer.from("0.1"))!;
 * ```
 */
export interface LongDouble {
  negative: boolean;
  m: bigint;
  e: number;
  infinite: boolean;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** num / den rounded to a 64-bit significand, half to even (the x87 default). */
function round64(negative: boolean, num: bigint, den: bigint): LongDouble {
  if (num === 0n) return { negative, m: 0n, e: 0, infinite: false };
  let shift = bitLength(num) - bitLength(den) - 64;
  for (;;) {
    const a = shift < 0 ? num << BigInt(-shift) : num;
    const b = shift > 0 ? den << BigInt(shift) : den;
    let q = a / b;
    if (q >= 1n << 64n) {
      shift++;
      continue;
    }
    if (q < 1n << 63n) {
      shift--;
      continue;
    }
    const twice = (a % b) * 2n;
    if (twice > b || (twice === b && (q & 1n) === 1n)) q++;
    if (q === 1n << 64n) {
      q >>= 1n;
      shift++;
    }
    // Past the largest long double (about 1.19e4932) is infinity.
    if (shift + 64 > 16384) return { negative, m: 0n, e: 0, infinite: true };
    return { negative, m: q, e: shift, infinite: false };
  }
}

/** Redis's MAX_LONG_DOUBLE_CHARS: longer text is refused. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

/**
 * A long double as Redis's `string2ld` reads it (INCRBYFLOAT's and HINCRBYFLOAT's operands):
 * all of the text must be a number, not NaN, not out of range; infinities are read as such.
 *
 * @example
 * ```ts
 * parseLongDouble(Buffer.from("1e5000")); // null: out of range
 * ```
 */
export function parseLongDouble(bytes: Uint8Array): LongDouble | null {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  if (text.length === 0 || text.length >= MAX_LONG_DOUBLE_CHARS || /^[ \t\n\v\f\r]/.test(text)) return null;
  const read = strtod(text);
  if (read.end !== text.length || Number.isNaN(read.value)) return null;
  const negative = text.startsWith("-");
  if (read.mantissa === 0n) return { negative, m: 0n, e: 0, infinite: !Number.isFinite(read.value) };
  const magnitude = read.base === 10n
    ? read.exponent + read.mantissa.toString().length
    : (read.exponent + read.mantissa.toString(2).length) * 0.30103;
  // ERANGE: beyond the long double's range either way.
  if (magnitude > 4933 || magnitude < -4950) return null;
  const scale = read.base ** BigInt(Math.abs(read.exponent));
  const result = read.exponent >= 0 ? round64(negative, read.mantissa * scale, 1n) : round64(negative, read.mantissa, scale);
  return result.infinite ? null : result;
}

/**
 * `a + b` in long double arithmetic (rounded once, half to even).
 *
 * @example
 * ```ts
 * formatLongDouble(addLongDouble(parseLongDouble(Buffer.from("10.5"))!, parseLongDouble(Buffer.from("0.1"))!)); // "10.6"
 * ```
 */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.infinite || b.infinite) {
    if (a.infinite && b.infinite && a.negative !== b.negative) return { negative: false, m: 0n, e: 0, infinite: true };
    return a.infinite ? a : b;
  }
  const e = Math.min(a.e, b.e);
  const signed = (x: LongDouble): bigint => (x.negative ? -x.m : x.m) << BigInt(x.e - e);
  const sum = signed(a) + signed(b);
  const result = round64(sum < 0n, sum < 0n ? -sum : sum, 1n);
  if (!result.infinite && result.m !== 0n) result.e += e;
  // x87 gives +0 for the sum of opposites.
  if (result.m === 0n) result.negative = a.negative && b.negative;
  return result;
}

/**
 * True for the infinities (INCRBYFLOAT refuses to store them).
 *
 * @example
 * ```ts
 * isInfinite(parseLongDouble(Buffer.from("inf"))!); // true
 * ```
 */
export function isInfinite(x: LongDouble): boolean {
  return x.infinite;
}

/**
 * `x` as Redis writes an INCRBYFLOAT result: `%.17Lf` without trailing zeros (nor a trailing
 * dot), and "-0" as "0".
 *
 * @example
 * ```ts
 * formatLongDouble(parseLongDouble(Buffer.from("3.0"))!); // "3"
 * ```
 */
export function formatLongDouble(x: LongDouble): string {
  if (x.infinite) return x.negative ? "-inf" : "inf";
  const scale = 10n ** 17n;
  let n: bigint;
  if (x.e >= 0) n = (x.m << BigInt(x.e)) * scale;
  else {
    const num = x.m * scale;
    const den = 1n << BigInt(-x.e);
    n = num / den;
    const twice = (num % den) * 2n;
    if (twice > den || (twice === den && (n & 1n) === 1n)) n++;
  }
  const digits = n.toString().padStart(18, "0");
  let out = `${x.negative ? "-" : ""}${digits.slice(0, -17)}.${digits.slice(-17)}`;
  out = out.replace(/0+$/, "").replace(/\.$/, "");
  return out === "-0" ? "0" : out;
}
