// Ignition module: deploys $POCKET, Staking, MarketExtension and TaskMarket, then wires the
// market into Staking. Every parameter can be overridden with an Ignition
// parameters file (see ignition/parameters/*.json); defaults suit a local
// development chain (short windows, time travel in tests).
import { buildModule } from '@nomicfoundation/hardhat-ignition/modules'

const POCKET = 10n ** 18n

export default buildModule('Pocket', (m) => {
  const deployer = m.getAccount(0)
  const owner = m.getParameter('owner', deployer)

  const minStake = m.getParameter('minStake', 100n * POCKET)
  const unbondingPeriod = m.getParameter('unbondingPeriod', 3_600n)
  const params = {
    challengeWindow: m.getParameter('challengeWindow', 600n),
    voteCommitWindow: m.getParameter('voteCommitWindow', 300n),
    voteRevealWindow: m.getParameter('voteRevealWindow', 300n),
    challengeBond: m.getParameter('challengeBond', 50n * POCKET),
    slashBps: m.getParameter('slashBps', 5_000n),
    finderFeeBps: m.getParameter('finderFeeBps', 2_500n),
    jurorRewardBps: m.getParameter('jurorRewardBps', 2_500n),
    undecidedFeeBps: m.getParameter('undecidedFeeBps', 2_000n),
    bidBondBps: m.getParameter('bidBondBps', 1_000n),
    jurySize: m.getParameter('jurySize', 3n),
    maxBids: m.getParameter('maxBids', 8n),
    jurorPenalty: m.getParameter('jurorPenalty', 10n * POCKET),
    // 0 on a dev chain (nodes stake and serve at once); testnet.json sets a day
    minStakeAge: m.getParameter('minStakeAge', 0n),
  }
  const treasury = m.getParameter('treasury', deployer)

  // The deployer administers the token (and holds MINTER_ROLE for the faucet).
  const token = m.contract('PocketToken', [deployer])
  const staking = m.contract('Staking', [
    token,
    deployer,
    minStake,
    unbondingPeriod,
  ])
  // challenges, votes and governance live in the extension the market
  // delegatecalls (same constructor arguments: immutables live in code)
  const extension = m.contract('MarketExtension', [
    token,
    staking,
    owner,
    params,
    treasury,
  ])
  const market = m.contract('TaskMarket', [
    token,
    staking,
    owner,
    params,
    treasury,
    extension,
  ])
  m.call(staking, 'setMarket', [market])

  return { token, staking, extension, market }
})
