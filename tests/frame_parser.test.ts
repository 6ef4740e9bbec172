import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameParser, JuteError } from "../core/proto/mod.ts";
import { SeededRandom } from "./support/seeded_random.ts";

function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setInt32(0, payload.length);
  out.set(payload, 4);
  return out;
}

test("frames come out whole however the stream is cut", () => {
  const rnd = new SeededRandom(7);
  const payloads = Array.from({ length: 200 }, (_, i) => {
    const bytes = new Uint8Array(rnd.pick([0, 1, 3, 4, 5, 100, 5000]));
    bytes.fill(i & 0xff);
    return bytes;
  });
  const stream = new Uint8Array(payloads.reduce((n, p) => n + 4 + p.length, 0));
  let at = 0;
  for (const p of payloads) {
    stream.set(frame(p), at);
    at += 4 + p.length;
  }
  for (const maxCut of [1, 2, 3, 7, 64, 9000]) {
    const parser = new FrameParser(1 << 20);
    const got: Uint8Array[] = [];
    for (let offset = 0; offset < stream.length;) {
      const cut = 1 + rnd.int(maxCut);
      got.push(...parser.push(stream.subarray(offset, offset + cut)).map((f) => f.slice()));
      offset += cut;
    }
    assert.equal(got.length, payloads.length, `cut ${maxCut}`);
    got.forEach((f, i) => assert.deepEqual(f, payloads[i], `frame ${i} with cut ${maxCut}`));
    assert.equal(parser.pendingBytes, 0);
  }
});

test("an oversize or negative length is refused before buffering", () => {
  const parser = new FrameParser(1024);
  assert.throws(() => parser.push(new Uint8Array([0, 0, 4, 1])), JuteError);
  const split = new FrameParser(1024);
  split.push(new Uint8Array([0xff, 0xff]));
  assert.throws(() => split.push(new Uint8Array([0xff, 0xfe])), JuteError);
});

test("a 256 KiB frame in 1-byte chunks is gathered in linear time", () => {
  const payload = new Uint8Array(1 << 18).fill(9);
  const bytes = frame(payload);
  const parser = new FrameParser(2 << 20);
  let frames: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) frames = frames.concat(parser.push(bytes.subarray(i, i + 1)));
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.length, payload.length);
});
