/**
 * Splitting an inline command line (`SET "a key" 'v'`) into arguments, with the quoting rules
 * of redis-cli and Redis's `sdssplitargs`: double quotes take `\n \r \t \b \a \\ \" \xHH`
 * escapes, single quotes only `\'`, and a closing quote must be followed by a space or the end.
 * @module
 */

const BACKSLASH = 92;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;

function isSpace(byte: number | undefined): boolean {
  return byte === 32 || byte === 9 || byte === 10 || byte === 11 || byte === 12 || byte === 13 || byte === 0;
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 48 && byte <= 57) return byte - 48;
  if (byte >= 97 && byte <= 102) return byte - 87;
  if (byte >= 65 && byte <= 70) return byte - 55;
  return -1;
}

const ESCAPES: Record<number, number> = { 110: 10, 114: 13, 116: 9, 98: 8, 97: 7 };

/**
 * The arguments on `line`, or null when its quotes are unbalanced.
 *
 * @example
 * ```ts
 * splitInline(Buffer.from(`set "a key" 'v'`)).map(String); // ["set", "a key", "v"]
 * splitInline(Buffer.from(`set "open`));                   // null
 * ```
 */
export function splitInline(line: Buffer): Buffer[] | null {
  const args: Buffer[] = [];
  const end = line.length;
  let i = 0;
  for (;;) {
    while (i < end && isSpace(line[i])) i++;
    if (i >= end) return args;
    const current: number[] = [];
    let quote = 0;
    for (;;) {
      const byte = line[i];
      if (quote === DOUBLE_QUOTE) {
        if (byte === undefined) return null;
        if (byte === BACKSLASH && line[i + 1] === 120 /* x */ && hexValue(line[i + 2]) >= 0 && hexValue(line[i + 3]) >= 0) {
          current.push(hexValue(line[i + 2]) * 16 + hexValue(line[i + 3]));
          i += 4;
        } else if (byte === BACKSLASH && i + 1 < end) {
          const escaped = line[i + 1]!;
          current.push(ESCAPES[escaped] ?? escaped);
          i += 2;
        } else if (byte === DOUBLE_QUOTE) {
          if (i + 1 < end && !isSpace(line[i + 1])) return null;
          i++;
          break;
        } else {
          current.push(byte);
          i++;
        }
      } else if (quote === SINGLE_QUOTE) {
        if (byte === undefined) return null;
        if (byte === BACKSLASH && line[i + 1] === SINGLE_QUOTE) {
          current.push(SINGLE_QUOTE);
          i += 2;
        } else if (byte === SINGLE_QUOTE) {
          if (i + 1 < end && !isSpace(line[i + 1])) return null;
          i++;
          break;
        } else {
          current.push(byte);
          i++;
        }
      } else if (byte === undefined || isSpace(byte)) {
        break;
      } else if (byte === DOUBLE_QUOTE || byte === SINGLE_QUOTE) {
        quote = byte;
        i++;
      } else {
        current.push(byte);
        i++;
      }
    }
    args.push(Buffer.from(current));
  }
}
