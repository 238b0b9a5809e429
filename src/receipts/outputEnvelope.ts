// The output a node commits on chain (`commitResult(..., output, ...)`):
// the signed receipt, the token ids, the activation commitments and the
// text, in one compact binary envelope. Layout (big-endian):
//   "PKR2" | u32 nTokens | nTokens × u32 id | u32 commitLen | commitments
//   | 65-byte signature | str engine | str backend | str deviceClass
//   | str activationDtype | str text
// where str = u32 length + UTF-8. "PKR1" envelopes (v1 receipts) have no
// activationDtype and still decode. Everything else in the receipt is
// recomputed from the task (model, input, sampling, seed) or these bytes.
import { bytesToHex, type Hex, hexToBytes } from 'viem'
import { decodeCommitments, encodeCommitments } from './commitmentHash.ts'
import { MalformedOutputError } from './errors.ts'
import { encodeTokenIds } from './outputHash.ts'
import type { Commitment } from './types.ts'

export type OutputEnvelope = {
  tokenIds: number[]
  commitments: Commitment[]
  signature: Hex
  engine: string
  backend: string
  deviceClass: string
  /** Absent only in v1 (PKR1) envelopes. */
  activationDtype?: string
  text: string
}

const MAGIC = [0x50, 0x4b, 0x52] // "PKR", then the version digit
const V1 = 0x31
const V2 = 0x32
const utf8 = new TextEncoder()

export function encodeOutput(o: OutputEnvelope): Hex {
  const u32 = (n: number) => {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, n)
    return b
  }
  const str = (s: string) => {
    const b = utf8.encode(s)
    return [u32(b.length), b]
  }
  const sig = hexToBytes(o.signature)
  if (sig.length !== 65)
    throw new MalformedOutputError('A receipt signature has 65 bytes.')
  const commitments = encodeCommitments(o.commitments)
  const v2 = o.activationDtype !== undefined
  const parts = [
    Uint8Array.from([...MAGIC, v2 ? V2 : V1]),
    u32(o.tokenIds.length),
    encodeTokenIds(o.tokenIds),
    u32(commitments.length),
    commitments,
    sig,
    ...str(o.engine),
    ...str(o.backend),
    ...str(o.deviceClass),
    ...(v2 ? str(o.activationDtype as string) : []),
    ...str(o.text),
  ]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return bytesToHex(out)
}

export function decodeOutput(hex: Hex): OutputEnvelope {
  const bytes = hexToBytes(hex)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  const take = (n: number) => {
    if (at + n > bytes.length)
      throw new MalformedOutputError('Output envelope is truncated.')
    const slice = bytes.subarray(at, at + n)
    at += n
    return slice
  }
  const u32 = () => {
    take(4)
    return view.getUint32(at - 4)
  }
  const str = () =>
    new TextDecoder('utf-8', { fatal: true }).decode(take(u32()))
  const version = bytes[3]
  if (
    MAGIC.some((b, i) => bytes[i] !== b) ||
    (version !== V1 && version !== V2)
  )
    throw new MalformedOutputError('Output is not a PKR1/PKR2 envelope.')
  at = 4
  const n = u32()
  take(4 * n)
  const tokenIds = Array.from({ length: n }, (_, i) =>
    view.getUint32(8 + 4 * i),
  )
  const commitments = decodeCommitments(take(u32()))
  const signature = bytesToHex(take(65))
  try {
    const engine = str()
    const backend = str()
    const deviceClass = str()
    const dtype = version === V2 ? { activationDtype: str() } : {}
    const out = {
      tokenIds,
      commitments,
      signature,
      engine,
      backend,
      deviceClass,
      ...dtype,
      text: str(),
    }
    if (at !== bytes.length)
      throw new MalformedOutputError('Output envelope has trailing data.')
    return out
  } catch (cause) {
    if (cause instanceof MalformedOutputError) throw cause
    throw new MalformedOutputError('Output envelope text is not UTF-8.', {
      cause,
    })
  }
}
