// Hash of the output token ids: keccak256 over uint32 big-endian ids,
// packed (the same as `abi.encodePacked(uint32[])` would give per element).
import { type Hex, keccak256 } from 'viem'

export function encodeTokenIds(tokenIds: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(tokenIds.length * 4)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < tokenIds.length; i++)
    view.setUint32(i * 4, tokenIds[i] as number, false)
  return bytes
}

/** keccak256 of the packed token ids. */
export function outputHash(tokenIds: ArrayLike<number>): Hex {
  return keccak256(encodeTokenIds(tokenIds))
}
