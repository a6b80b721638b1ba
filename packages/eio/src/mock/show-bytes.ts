/**
 * Bytes and names printed as Eio's mocks print them (OCaml's `%S`, `Fmt.Dump.string`), and
 * traced with continuation lines lined up under the first, as Eio's vertical boxes do.
 * @internal
 * @module
 */
import { traceln } from "../core/traceln.js";

/** OCaml's `%S`: a quoted string with `\n`, `\r`, `\t`, `\b`, `\\`, `\"` and `\ddd` escapes. */
export function ocamlString(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 0x22) out += '\\"';
    else if (b === 0x5c) out += "\\\\";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b === 0x09) out += "\\t";
    else if (b === 0x08) out += "\\b";
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\${String(b).padStart(3, "0")}`;
  }
  return out + '"';
}

/** Eio's mock printer: one quoted string per line of the data, each line ending at its `\n`. */
export function dumpLines(bytes: Uint8Array): string {
  const parts: string[] = [];
  let start = 0;
  while (start < bytes.length || parts.length === 0) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl === -1 ? bytes.length : nl + 1;
    parts.push(ocamlString(bytes.subarray(start, end)));
    start = end;
  }
  return parts.join("\n");
}

/** Eio's `Process.pp_arg`: bare unless empty or holding a space, quote, backslash or control byte. */
export function maybeQuote(text: string): string {
  const bytes = Buffer.from(text);
  const bad = bytes.length === 0 || bytes.some((c) => c <= 32 || c >= 127 || c === 0x22 || c === 0x27 || c === 0x5c);
  return bad ? ocamlString(bytes) : text;
}

/** Traces `prefix + body`, the body's later lines indented to where it began. */
export function traceBox(prefix: string, body: string): void {
  const [first = "", ...rest] = body.split("\n");
  traceln("%s", prefix + first);
  const indent = " ".repeat(prefix.length);
  for (const line of rest) traceln("%s", indent + line);
}
