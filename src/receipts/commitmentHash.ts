// Canonical encoding of the engine's activation commitments and its hash.
// Header uint32 chunk count; per chunk: uint32 index, uint16 k, then
// k × (uint16 hidden index, float32 value), all big-endian. Values stay
// float32: the engine's audit compares them with an absolute tolerance and
// final hidden states have outliers far above 1, where bf16 would not do.
import { type Hex, keccak256 } from 'viem'
import { MalformedOutputError } from './errors.ts'
import type { Commitment } from './types.ts'

/** The canonical bytes of a commitment list (values as float32). */
export function encodeCommitments(commitments: Commitment[]): Uint8Array {
  let size = 4
  for (const c of commitments) size += 6 + 6 * c.indices.length
  const bytes = new Uint8Array(size)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, commitments.length)
  let o = 4
  for (const c of commitments) {
    const k = c.indices.length
    if (k !== c.values.length || k > 0xffff)
      throw new MalformedOutputError('Commitment indices and values differ.')
    view.setUint32(o, c.index)
    view.setUint16(o + 4, k)
    o += 6
    for (let i = 0; i < k; i++) {
      if ((c.indices[i] as number) > 0xffff)
        throw new MalformedOutputError('Hidden index above 65535.')
      view.setUint16(o, c.indices[i] as number)
      view.setFloat32(o + 2, c.values[i] as number)
      o += 6
    }
  }
  return bytes
}

/** Inverse of `encodeCommitments` . */
export function decodeCommitments(bytes: Uint8Array): Commitment[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const need = (n: number) => {
    if (n > bytes.length)
      throw new MalformedOutputError('Commitment bytes are truncated.')
  }
  need(4)
  const count = view.getUint32(0)
  const out: Commitment[] = []
  let o = 4
  for (let c = 0; c < count; c++) {
    need(o + 6)
    const index = view.getUint32(o)
    const k = view.getUint16(o + 4)
    o += 6
    need(o + 6 * k)
    const indices = new Int32Array(k)
    const values = new Float32Array(k)
    for (let i = 0; i < k; i++) {
      indices[i] = view.getUint16(o)
      values[i] = view.getFloat32(o + 2)
      o += 6
    }
    out.push({ index, indices, values })
  }
  if (o !== bytes.length)
    throw new MalformedOutputError('Commitment bytes have trailing data.')
  return out
}

/** keccak256 of the canonical commitment encoding. */
export function commitmentHash(commitments: Commitment[]): Hex {
  return keccak256(encodeCommitments(commitments))
}
