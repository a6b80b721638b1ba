// Frames (frame.ts): what crosses to the storage domain. A property test checks that any
// requests come back whole from a frame, each argument a view of it, and that replies split
// back as they were joined; FC_SEED replays a failure (see test/support/fc.ts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Frame from "../src/frame.js";
import { assertProperty } from "../../../test/support/fc.js";

const bytes = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
const command = fc.array(bytes, { minLength: 1, maxLength: 6 });
const request = fc.record({ commands: fc.array(command, { maxLength: 9 }), replyLimit: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xffffffff })) });

/** Several requests as one frame, as gather.ts writes them. */
function frameOf(requests: { commands: Buffer[][]; replyLimit: number }[]): Buffer {
  const frame = Buffer.alloc(4 + requests.reduce((sum, r) => sum + Frame.requestBytes(r.commands), 0), 0xee);
  let p = 4;
  for (const r of requests) p = Frame.writeRequest(frame, p, r.commands, r.replyLimit);
  expect(p).toBe(frame.length);
  Frame.writeCount(frame, requests.length);
  return frame;
}

describe("Frame", () => {
  it("gives back any requests from their frame, each argument a view of the frame", () => {
    assertProperty(
      fc.property(fc.array(request, { maxLength: 6 }), (requests) => {
        const frame = frameOf(requests);
        const decoded = Frame.decode(frame);
        expect(decoded).toEqual(requests);
        for (const r of decoded) for (const args of r.commands) for (const arg of args) {
          expect(Buffer.isBuffer(arg)).toBe(true);
          expect(arg.buffer).toBe(frame.buffer);
        }
      }),
    );
  });

  it("encode is a frame of one request", () => {
    assertProperty(
      fc.property(request, ({ commands, replyLimit }) => {
        const frame = Frame.encode(commands, replyLimit);
        expect(frame.length).toBe(4 + Frame.requestBytes(commands));
        expect(Frame.decode(frame)).toEqual([{ commands, replyLimit }]);
      }),
    );
  });

  it("refuses a frame cut short or with bytes after its requests", () => {
    assertProperty(
      fc.property(fc.array(request, { minLength: 1, maxLength: 3 }), fc.nat(), (requests, at) => {
        const frame = frameOf(requests);
        const cut = at % frame.length;
        expect(() => Frame.decode(frame.subarray(0, cut))).toThrow(RangeError);
        expect(() => Frame.decode(Buffer.concat([frame, Buffer.from([0])]))).toThrow(/after the last/);
      }),
    );
  });

  it("splits replies back as they were joined", () => {
    assertProperty(
      fc.property(fc.array(bytes, { maxLength: 20 }), (replies) => {
        const joined = Frame.joinReplies(replies);
        expect(Frame.splitReplies(joined).map((r) => Buffer.from(r))).toEqual(replies);
        if (joined.length > 4) expect(() => Frame.splitReplies(joined.subarray(0, joined.length - 1))).toThrow(RangeError);
      }),
    );
  });

  it("refuses a reply limit that does not fit its word", () => {
    expect(() => Frame.encode([[Buffer.from("GET")]], 2 ** 32)).toThrow(RangeError);
    expect(() => Frame.encode([[Buffer.from("GET")]], -1)).toThrow(RangeError);
  });
});
