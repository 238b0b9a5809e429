// E2E harness: a `hardhat node` on a free 127.0.0.1 port, the Ignition
// deployment on it, funded and staked accounts from the default Hardhat
// mnemonic, and time travel — the same local chain `pocket start` uses
// (src/marketplace/startLocalChain.ts).
import { startLocalChain as start } from '../../src/marketplace/startLocalChain.ts'

export function startLocalChain(out: string, staked: number[]) {
  return start({ out, stake: staked })
}
