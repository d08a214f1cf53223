/**
 * Binary encoding of one model's results for one pair, as stored in the score cache.
 *
 * Layout (little-endian): magic u32, version u16, topK u16, hidden size u32, then for the
 * canonical first and second response: token count u32, token ids i32[n], log-probs f32[n],
 * entropy f32[n], rank f32[n], top-k ids i32[n*K], top-k log-probs f32[n*K], hidden sum f64[H]
 * (H = 0 when the model's hidden states were not kept). Typed-array copies, no JSON: a pair of
 * 300-token responses under a 50k vocabulary is about 30 KB with top-5.
 */
import type { SequenceScores } from './modelRunner';

const MAGIC = 0x504c5343; // "PLSC"
const VERSION = 1;

export interface SideResult {
  tokenIds: Int32Array;
  scores: SequenceScores;
}

function sideBytes(side: SideResult, K: number, H: number): number {
  const n = side.scores.scored;
  return 4 + n * 4 * 4 + n * K * 8 + H * 8;
}

export function encodePairScores(sides: [SideResult, SideResult], topK: number): Uint8Array {
  const H = sides[0].scores.hiddenSum?.length ?? 0;
  const size = 12 + sideBytes(sides[0], topK, H) + sideBytes(sides[1], topK, H);
  const buffer = new ArrayBuffer(size + 8);
  const view = new DataView(buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, VERSION, true);
  view.setUint16(6, topK, true);
  view.setUint32(8, H, true);
  let at = 12;
  const put = (array: Int32Array | Float32Array | Float64Array): void => {
    // align to the element size so decoding can view the bytes without copying
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    new Uint8Array(buffer, at, bytes.length).set(bytes);
    at += bytes.length;
  };
  for (const side of sides) {
    const s = side.scores;
    view.setUint32(at, s.scored, true);
    at += 4;
    put(side.tokenIds);
    put(s.tokenLogps);
    put(s.entropy);
    put(s.rank);
    put(s.topkIds);
    put(s.topkLogps);
    if (H > 0) put(s.hiddenSum ?? new Float64Array(H));
  }
  return new Uint8Array(buffer, 0, at);
}

export function decodePairScores(bytes: Uint8Array): [SideResult, SideResult] {
  const copy = bytes.slice(); // own, aligned buffer
  const view = new DataView(copy.buffer);
  if (view.getUint32(0, true) !== MAGIC || view.getUint16(4, true) !== VERSION) throw new Error('not a PrefLens score cache entry (or an older version)');
  const K = view.getUint16(6, true);
  const H = view.getUint32(8, true);
  let at = 12;
  const take = <T>(make: (buf: ArrayBuffer, n: number) => T, n: number, width: number): T => {
    const slice = copy.buffer.slice(at, at + n * width);
    at += n * width;
    return make(slice, n);
  };
  const side = (): SideResult => {
    const n = view.getUint32(at, true);
    at += 4;
    const tokenIds = take((b) => new Int32Array(b), n, 4);
    const tokenLogps = take((b) => new Float32Array(b), n, 4);
    const entropy = take((b) => new Float32Array(b), n, 4);
    const rank = take((b) => new Float32Array(b), n, 4);
    const topkIds = take((b) => new Int32Array(b), n * K, 4);
    const topkLogps = take((b) => new Float32Array(b), n * K, 4);
    const hiddenSum = H > 0 ? take((b) => new Float64Array(b), H, 8) : undefined;
    return { tokenIds, scores: { scored: n, tokenLogps, entropy, rank, topkIds, topkLogps, hiddenSum } };
  };
  return [side(), side()];
}
