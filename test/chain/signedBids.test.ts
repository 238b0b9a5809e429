// Off-chain bids through the typed actions on an in-process Hardhat network:
// a node signs an EIP-712 bid on a posted task (the requester assigns it) or
// a quote for a task not posted yet (the requester posts it assigned), and the
// market checks the signature, the stake and self-dealing.
import {
  BaseError,
  ContractFunctionRevertedError,
  getAddress,
  keccak256,
  parseEther,
  toHex,
} from 'viem'
import { beforeEach, describe, expect, it } from 'vitest'
import { assignSignedBid } from '../../src/chain/assignSignedBid.ts'
import { commitResult } from '../../src/chain/commitResult.ts'
import { finalizeTask } from '../../src/chain/finalizeTask.ts'
import { getTask } from '../../src/chain/getTask.ts'
import { postTask } from '../../src/chain/postTask.ts'
import { postTaskWithQuote } from '../../src/chain/postTaskWithQuote.ts'
import { signBid } from '../../src/chain/signBid.ts'
import { signQuote } from '../../src/chain/signQuote.ts'
import { deployFixture, type Fixture, taskSpec } from './fixture.ts'

async function revertName(promise: Promise<unknown>) {
  try {
    await promise
  } catch (error) {
    if (error instanceof BaseError) {
      const revert = error.walk(
        (e) => e instanceof ContractFunctionRevertedError,
      )
      if (revert instanceof ContractFunctionRevertedError)
        return revert.data?.errorName
    }
    throw error
  }
  return undefined
}

let f: Fixture
const now = async () => BigInt(await f.networkHelpers.time.latest())

describe('signed bids and quotes (EIP-712, collected off chain)', () => {
  beforeEach(async () => {
    f = await deployFixture()
  })

  it('assigns a signed bid on a posted task and locks the stake then', async () => {
    const { addresses, requester, node, market } = f
    const { taskId } = await postTask(requester, {
      addresses,
      ...taskSpec('signed'),
      maxPrice: parseEther('10'),
      bidDeadline: (await now()) + 600n,
      execWindow: 300,
    })
    const bid = await signBid(node, {
      addresses,
      taskId,
      price: parseEther('7'),
      expiry: (await now()) + 300n,
    })
    const nodeAddress = getAddress(node.wallet.account.address)
    expect(
      (await market.read.nodeStateOf([nodeAddress])).locked,
      'no lock before assignment',
    ).toBe(0n)
    // only the requester submits it
    expect(await revertName(assignSignedBid(node, { addresses, bid }))).toBe(
      'TaskMarketUnauthorized',
    )
    // a tampered price recovers another (unstaked) signer
    expect(
      await revertName(
        assignSignedBid(requester, {
          addresses,
          bid: { ...bid, price: parseEther('6') },
        }),
      ),
    ).toBe('TaskMarketNotStaked')
    const assigned = await assignSignedBid(requester, { addresses, bid })
    expect(assigned.node).toBe(nodeAddress)
    const task = await getTask(requester, { addresses, taskId })
    expect(task.state).toBe('Assigned')
    expect(task.price).toBe(parseEther('7'))
    expect((await market.read.nodeStateOf([nodeAddress])).locked).toBe(
      parseEther('7'),
    )
  })

  it('posts a task assigned to a quote in one call; a quote is used once', async () => {
    const { addresses, requester, node, token, market } = f
    const spec = { ...taskSpec('quote'), execWindow: 300 }
    const requesterAddress = requester.wallet.account.address
    const quote = await signQuote(node, {
      addresses,
      requester: requesterAddress,
      spec,
      price: parseEther('6'),
      expiry: (await now()) + 300n,
    })
    const before = await token.read.balanceOf([requesterAddress])
    const { taskId, node: assigned } = await postTaskWithQuote(requester, {
      addresses,
      quote,
      input: spec.input,
    })
    expect(assigned).toBe(getAddress(node.wallet.account.address))
    expect(before - (await token.read.balanceOf([requesterAddress]))).toBe(
      parseEther('6'),
    )
    expect((await getTask(requester, { addresses, taskId })).state).toBe(
      'Assigned',
    )
    expect(
      await revertName(postTaskWithQuote(requester, { addresses, quote })),
    ).toBe('TaskMarketQuoteUsed')
    // the quoting node cannot post its own quote (self-dealing)
    const own = await signQuote(node, {
      addresses,
      requester: node.wallet.account.address,
      spec,
      price: parseEther('6'),
      expiry: (await now()) + 300n,
    })
    expect(
      await revertName(postTaskWithQuote(node, { addresses, quote: own })),
    ).toBe('TaskMarketSelfDealing')
    // the usual path from there: commit, finalize, paid in the finalize call
    await commitResult(node, {
      addresses,
      taskId,
      receiptHash: keccak256(toHex('receipt')),
      outputHash: keccak256(toHex('output')),
      output: toHex('Hi'),
      outputURI: '',
    })
    await f.networkHelpers.time.increase(601)
    const nodeBefore = await token.read.balanceOf([node.wallet.account.address])
    await finalizeTask(requester, { addresses, taskId })
    expect(await token.read.balanceOf([node.wallet.account.address])).toBe(
      nodeBefore + parseEther('6'),
    )
    expect(await token.read.balanceOf([market.address])).toBe(0n)
  })
})
