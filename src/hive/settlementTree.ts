// The settlement Merkle tree: one leaf per payout address with the
// cumulative $POCKET it is owed, hashed as HiveSettlement.sol's `leaf`
// (OpenZeppelin's double-hashed standard leaf) and paired sorted, as
// OpenZeppelin's MerkleProof verifies.
import {
  type Address,
  concat,
  encodeAbiParameters,
  type Hex,
  keccak256,
} from 'viem'

export type SettlementLeaf = { account: Address; cumulative: bigint }

export type SettlementTree = {
  root: Hex
  leaves: (SettlementLeaf & { hash: Hex; proof: Hex[] })[]
}

export function leafHash(l: SettlementLeaf): Hex {
  return keccak256(
    keccak256(
      encodeAbiParameters(
        [{ type: 'address' }, { type: 'uint256' }],
        [l.account, l.cumulative],
      ),
    ),
  )
}

function pair(a: Hex, b: Hex): Hex {
  return keccak256(
    a.toLowerCase() < b.toLowerCase() ? concat([a, b]) : concat([b, a]),
  )
}

export function buildSettlementTree(leaves: SettlementLeaf[]): SettlementTree {
  if (leaves.length === 0) throw new Error('a settlement tree needs leaves')
  const hashes = leaves.map(leafHash)
  // levels[0] = leaves; an odd node is carried up unchanged.
  const levels: Hex[][] = [hashes]
  while ((levels.at(-1) as Hex[]).length > 1) {
    const prev = levels.at(-1) as Hex[]
    const next: Hex[] = []
    for (let i = 0; i < prev.length; i += 2)
      next.push(
        i + 1 < prev.length
          ? pair(prev[i] as Hex, prev[i + 1] as Hex)
          : (prev[i] as Hex),
      )
    levels.push(next)
  }
  const proofOf = (index: number): Hex[] => {
    const proof: Hex[] = []
    let i = index
    for (const level of levels.slice(0, -1)) {
      const sibling = i ^ 1
      if (sibling < level.length) proof.push(level[sibling] as Hex)
      i >>= 1
    }
    return proof
  }
  return {
    root: (levels.at(-1) as Hex[])[0] as Hex,
    leaves: leaves.map((l, i) => ({
      ...l,
      hash: hashes[i] as Hex,
      proof: proofOf(i),
    })),
  }
}
