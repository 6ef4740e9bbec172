/**
 * Micro benchmarks of the protocol codec on the read hot path: a GetData request and reply, a
 * Stat, the frame parser on a TCP-like stream of small frames, and path validation.
 * Run: npx tsx bench/codec_bench.ts [--time-ms 500]
 */
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import { ErrorCode, KeeperError } from "../core/proto/error_code.ts";
import { FrameParser, JUTE_MAX_BUFFER_DEFAULT } from "../core/proto/frame_parser.ts";
import { JuteReader } from "../core/proto/jute_reader.ts";
import { JuteWriter } from "../core/proto/jute_writer.ts";
import { OpCode } from "../core/proto/op_code.ts";
import { pathProblem } from "../core/proto/path.ts";
import { readReplyHeader, readStat, type Stat, writeStat } from "../core/proto/records.ts";
import { microTable } from "./micro_table.ts";

const PATH = "/bench/v100/k-0000000123";
const DATA = new Uint8Array(100).fill(0x61);
const STAT: Stat = {
  czxid: 0x1_0000_0042n,
  mzxid: 0x1_0000_1042n,
  ctime: 1_700_000_000_000n,
  mtime: 1_700_000_100_000n,
  version: 7,
  cversion: 0,
  aversion: 0,
  ephemeralOwner: 0n,
  dataLength: 100,
  numChildren: 0,
  pzxid: 0x1_0000_0042n,
};
/** TCP segments on loopback arrive in pieces of about this size (MSS-like), splitting frames. */
const SEGMENT_BYTES = 1460;
const STREAM_FRAMES = 1000;
/** Operations per benchmark call, so the harness's per-call overhead is amortised. */
const BATCH = 100;

function encodeGetDataRequest(xid: number): Uint8Array {
  return new JuteWriter(64, { framed: true }).int(xid).int(OpCode.getData).ustring(PATH).bool(false).finishFrame();
}

function encodeGetDataReply(xid: number): Uint8Array {
  // The server's reply writer (core/server/replies.ts) starts at 128 bytes; a 100 B value fits.
  const w = new JuteWriter(128, { framed: true }).int(xid).long(0x1_0000_1042n).int(0);
  w.buffer(DATA);
  writeStat(w, STAT);
  return w.finishFrame();
}

/** A stream of GetData request frames, cut into segments that split frames at arbitrary bytes. */
function requestStream(): Uint8Array[] {
  const frames = Array.from({ length: STREAM_FRAMES }, (_, i) => encodeGetDataRequest(i + 1).slice());
  const total = frames.reduce((n, f) => n + f.length, 0);
  const stream = new Uint8Array(total);
  let offset = 0;
  for (const f of frames) {
    stream.set(f, offset);
    offset += f.length;
  }
  const segments: Uint8Array[] = [];
  for (let at = 0; at < total; at += SEGMENT_BYTES) segments.push(stream.slice(at, Math.min(total, at + SEGMENT_BYTES)));
  return segments;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "time-ms": { type: "string", default: "500" } } });
  const bench = new Bench({ time: Number(values["time-ms"]), warmupTime: 200 });
  const request = encodeGetDataRequest(42).slice();
  const reply = encodeGetDataReply(42).slice();
  const statBytes = (() => {
    const w = new JuteWriter(80);
    writeStat(w, STAT);
    return w.bytes().slice();
  })();
  const segments = requestStream();
  let sink = 0;

  bench
    .add("encode GetData request", () => {
      for (let k = 0; k < BATCH; k++) {
        sink += encodeGetDataRequest(42).length;
      }
    })
    .add("decode GetData request", () => {
      for (let k = 0; k < BATCH; k++) {
        const r = new JuteReader(request, 4);
        sink += r.int() + r.int() + r.string().length + (r.bool() ? 1 : 0);
      }
    })
    .add("encode GetData reply (100 B + Stat)", () => {
      for (let k = 0; k < BATCH; k++) {
        sink += encodeGetDataReply(42).length;
      }
    })
    .add("decode GetData reply (100 B + Stat)", () => {
      for (let k = 0; k < BATCH; k++) {
        const r = new JuteReader(reply, 4);
        const header = readReplyHeader(r);
        sink += header.xid + (r.buffer()?.length ?? 0) + readStat(r).version;
      }
    })
    .add("encode Stat", () => {
      for (let k = 0; k < BATCH; k++) {
        const w = new JuteWriter(80);
        writeStat(w, STAT);
        sink += w.length;
      }
    })
    .add("decode Stat", () => {
      for (let k = 0; k < BATCH; k++) {
        sink += readStat(new JuteReader(statBytes)).version;
      }
    })
    .add(`FrameParser: ${STREAM_FRAMES} GetData frames in ${SEGMENT_BYTES} B segments`, () => {
      const parser = new FrameParser(JUTE_MAX_BUFFER_DEFAULT);
      for (const segment of segments) sink += parser.push(segment).length;
    })
    .add("pathProblem: /bench/v100/k-0000000123", () => {
      for (let k = 0; k < BATCH; k++) {
        sink += pathProblem(PATH) === null ? 1 : 0;
      }
    })
    .add("pathProblem: 8-segment path", () => {
      for (let k = 0; k < BATCH; k++) {
        sink += pathProblem("/a/bb/ccc/dddd/eeeee/ffffff/ggggggg/hhhhhhhh") === null ? 1 : 0;
      }
    })
    // Reads answer NONODE by throwing a KeeperError; an Error captures a stack trace on creation.
    .add("throw + catch KeeperError(NONODE)", () => {
      for (let k = 0; k < BATCH; k++) {
        try {
          throw new KeeperError(ErrorCode.NONODE, PATH);
        } catch (error) {
          sink += (error as KeeperError).code;
        }
      }
    })
    .add("pathProblem: invalid (relative segment)", () => {
      for (let k = 0; k < BATCH; k++) {
        sink += pathProblem("/a/../b") === null ? 0 : 1;
      }
    });
  await bench.run();
  const frameTask = `FrameParser: ${STREAM_FRAMES} GetData frames in ${SEGMENT_BYTES} B segments`;
  console.log(microTable(bench, { defaultOpsPerCall: BATCH, opsPerCall: { [frameTask]: STREAM_FRAMES } }));
  console.log(`(FrameParser row is per frame; checksum ${sink % 10})`);
}

await main();
