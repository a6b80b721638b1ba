// Decodes RESP2 replies in tests, so expectations read as plain values.
export type Reply = string | number | null | Reply[] | { error: string };

/** Decodes every complete reply in `bytes`; `rest` is the unconsumed tail. */
export function decodeReplies(bytes: Buffer): { replies: Reply[]; rest: Buffer } {
  const replies: Reply[] = [];
  let at = 0;
  const line = (): string | null => {
    const end = bytes.indexOf("\r\n", at);
    if (end < 0) return null;
    const text = bytes.toString("latin1", at + 1, end);
    at = end + 2;
    return text;
  };
  const one = (): Reply | undefined => {
    if (at >= bytes.length) return undefined;
    const type = String.fromCharCode(bytes[at]!);
    const text = line();
    if (text === null) return undefined;
    if (type === "+") return text;
    if (type === "-") return { error: text };
    if (type === ":") return Number(text);
    if (type === "$") {
      const length = Number(text);
      if (length < 0) return null;
      if (bytes.length < at + length + 2) return undefined;
      const value = bytes.toString("latin1", at, at + length);
      at += length + 2;
      return value;
    }
    if (type === "*") {
      const count = Number(text);
      if (count < 0) return null;
      const items: Reply[] = [];
      for (let i = 0; i < count; i++) {
        const item = one();
        if (item === undefined) return undefined;
        items.push(item);
      }
      return items;
    }
    throw new Error(`bad reply type ${JSON.stringify(type)}`);
  };
  for (;;) {
    const start = at;
    const reply = one();
    if (reply === undefined) {
      at = start;
      break;
    }
    replies.push(reply);
  }
  return { replies, rest: bytes.subarray(at) };
}

/** Decodes exactly one reply. */
export function decodeReply(bytes: Buffer): Reply {
  const { replies, rest } = decodeReplies(bytes);
  if (replies.length !== 1 || rest.length !== 0) throw new Error(`expected one reply, got ${JSON.stringify(bytes.toString("latin1"))}`);
  return replies[0]!;
}

/** A request as RESP: an array of bulk strings. */
export function encodeCommand(...args: (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg) : Buffer.from(arg);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}
