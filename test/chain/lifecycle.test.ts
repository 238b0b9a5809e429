// Full task lifecycle through the typed viem actions against an in-process
// Hardhat network: stake -> post -> bid -> assign -> commit -> finalize ->
// withdraw, plus the challenge (slash), timeout and cancel exits.
import {
  BaseError,
  ContractFunctionRevertedError,
  getAddress,
  keccak256,
  parseEther,
  toHex,
} from 'viem'
import { beforeEach, describe, expect, it } from 'vitest'
import { assignTask } from '../../src/chain/assignTask.ts'
import { cancelTask } from '../../src/chain/cancelTask.ts'
import { challengeTask } from '../../src/chain/challengeTask.ts'
import { commitResult } from '../../src/chain/commitResult.ts'
import { commitVote } from '../../src/chain/commitVote.ts'
import { finalizeTask } from '../../src/chain/finalizeTask.ts'
import { getTask } from '../../src/chain/getTask.ts'
import { placeBid } from '../../src/chain/placeBid.ts'
import { postTask } from '../../src/chain/postTask.ts'
import { resolveChallenge } from '../../src/chain/resolveChallenge.ts'
import { revealVote } from '../../src/chain/revealVote.ts'
import { timeoutTask } from '../../src/chain/timeoutTask.ts'
import { withdraw } from '../../src/chain/withdraw.ts'
import { deployFixture, type Fixture, taskSpec } from './fixture.ts'

/** Name of the custom error a failed call reverted with. */
async function revertName(
  promise: Promise<unknown>,
): Promise<string | undefined> {
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

async function now(): Promise<bigint> {
  return BigInt(await f.networkHelpers.time.latest())
}

async function postAssignCommit(label: string, price = parseEther('8')) {
  const { addresses, requester, node } = f
  const { taskId } = await postTask(requester, {
    addresses,
    ...taskSpec(label),
    maxPrice: parseEther('10'),
    bidDeadline: (await now()) + 600n,
    execWindow: 300,
  })
  const { bidIndex } = await placeBid(node, { addresses, taskId, price })
  await assignTask(requester, { addresses, taskId, bidIndex })
  const outputHash = keccak256(toHex(`output:${label}`))
  await commitResult(node, {
    addresses,
    taskId,
    receiptHash: keccak256(toHex(`receipt:${label}`)),
    outputHash,
    output: toHex('Hello!'),
    outputURI: '',
  })
  return { taskId, outputHash }
}

describe('task lifecycle (in-process Hardhat network)', () => {
  beforeEach(async () => {
    f = await deployFixture()
  })

  it('runs post -> bid -> assign -> commit -> finalize -> withdraw', async () => {
    const { addresses, requester, node, jurors, market, token, publicClient } =
      f
    const spec = taskSpec('happy')
    const { taskId } = await postTask(requester, {
      addresses,
      ...spec,
      maxPrice: parseEther('10'),
      bidDeadline: (await now()) + 600n,
      execWindow: 300,
    })
    expect(taskId & (2n ** 96n - 1n)).toBe(1n) // low bits: sequence number
    expect(await market.read.requesterOf([taskId])).toBe(
      getAddress(requester.wallet.account.address),
    )
    expect((await getTask(requester, { addresses, taskId })).state).toBe(
      'Posted',
    )

    // two nodes bid; the losing bid's stake lock is released at assignment
    const { bidIndex } = await placeBid(node, {
      addresses,
      taskId,
      price: parseEther('8'),
    })
    await placeBid(jurors[0], { addresses, taskId, price: parseEther('9') })
    expect(
      await f.staking.read.freeStakeOf([jurors[0].wallet.account.address]),
    ).toBe(parseEther('991'))
    await assignTask(requester, { addresses, taskId, bidIndex })
    expect(
      await f.staking.read.freeStakeOf([jurors[0].wallet.account.address]),
    ).toBe(parseEther('1000'))
    let task = await getTask(requester, { addresses, taskId })
    expect(task.state).toBe('Assigned')
    expect(task.assignedNode).toBe(getAddress(node.wallet.account.address))
    expect(task.price).toBe(parseEther('8'))

    const receiptHash = keccak256(toHex('receipt'))
    await commitResult(node, {
      addresses,
      taskId,
      receiptHash,
      outputHash: keccak256(toHex('output')),
      output: toHex('Hello!'),
      outputURI: '',
    })
    task = await getTask(requester, { addresses, taskId })
    expect(task.state).toBe('Committed')

    // finalizing inside the window (reads run at the latest block's timestamp,
    // here exactly the deadline) reverts; one second after the deadline it works
    expect(
      await revertName(finalizeTask(requester, { addresses, taskId })),
    ).toBe('TaskMarketWindowOpen')
    await f.networkHelpers.time.increaseTo(task.deadline)
    expect(
      await revertName(finalizeTask(requester, { addresses, taskId })),
    ).toBe('TaskMarketWindowOpen')
    await f.networkHelpers.time.increaseTo(task.deadline + 1n)
    const nodeBefore = await token.read.balanceOf([node.wallet.account.address])
    const requesterBefore = await token.read.balanceOf([
      requester.wallet.account.address,
    ])
    await finalizeTask(requester, { addresses, taskId })
    expect((await getTask(requester, { addresses, taskId })).state).toBe(
      'Finalized',
    )

    // finalizeTask pays the node and refunds the requester in the same call
    expect(await token.read.balanceOf([node.wallet.account.address])).toBe(
      nodeBefore + parseEther('8'),
    )
    expect(await token.read.balanceOf([requester.wallet.account.address])).toBe(
      requesterBefore + parseEther('2'),
    )
    expect(await market.read.owedOf([node.wallet.account.address])).toBe(0n)
    expect(
      await market.read.reputationOf([node.wallet.account.address]),
    ).toEqual([1, 0, 0, parseEther('8'), 1])
    expect(await token.read.balanceOf([market.address])).toBe(0n)
    expect(
      await f.staking.read.stakeOf([node.wallet.account.address]),
    ).toMatchObject({ staked: parseEther('1000') })
    expect(
      (await market.read.nodeStateOf([node.wallet.account.address])).locked,
    ).toBe(0n)

    // the events carry what the indexer needs
    const posted = await market.getEvents.TaskPosted(
      { taskId },
      { fromBlock: 0n },
    )
    expect(posted[0]?.args).toMatchObject({
      taskId,
      modelDigest: spec.modelDigest,
      inputHash: spec.inputHash,
      maxPrice: parseEther('10'),
      seed: 42n,
      input: toHex(spec.input),
    })
    const finalized = await market.getEvents.TaskFinalized(
      { taskId },
      { fromBlock: 0n },
    )
    expect(finalized[0]?.args).toMatchObject({
      node: getAddress(node.wallet.account.address),
      payment: parseEther('8'),
      refund: parseEther('2'),
    })
    const committed = await publicClient.getContractEvents({
      address: market.address,
      abi: market.abi,
      eventName: 'TaskCommitted',
      fromBlock: 0n,
    })
    expect(committed[0]?.args.receiptHash).toBe(receiptHash)
  })

  it('slashes a node that loses a challenge and pays the finder', async () => {
    const { addresses, requester, node, auditor, market, staking } = f
    const { taskId } = await postAssignCommit('cheat')
    const { jurors, voteCommitDeadline } = await challengeTask(auditor, {
      addresses,
      taskId,
      evidenceHash: keccak256(toHex('evidence')),
    })
    expect(jurors).toHaveLength(3)
    expect(jurors).not.toContain(getAddress(node.wallet.account.address))
    expect(jurors).not.toContain(getAddress(auditor.wallet.account.address))
    expect((await getTask(requester, { addresses, taskId })).state).toBe(
      'Challenged',
    )

    const byAddress = new Map(
      f.jurors.map((c) => [getAddress(c.wallet.account.address), c]),
    )
    const salt = keccak256(toHex('salt'))
    for (const juror of jurors) {
      const c = byAddress.get(juror)
      if (!c) throw new Error(`unknown juror ${juror}`)
      const commitment = await market.read.voteCommitment([
        taskId,
        juror,
        true,
        salt,
      ])
      await commitVote(c, { addresses, taskId, commitment })
    }
    await f.networkHelpers.time.increaseTo(voteCommitDeadline + 1n)
    for (const juror of jurors) {
      const c = byAddress.get(juror)
      if (!c) throw new Error(`unknown juror ${juror}`)
      await revealVote(c, { addresses, taskId, nodeGuilty: true, salt })
    }
    await resolveChallenge(requester, { addresses, taskId })
    expect((await getTask(requester, { addresses, taskId })).state).toBe(
      'Slashed',
    )

    // 50% of 1000 staked slashed; 25% of that to the auditor plus its bond back
    expect(await staking.read.stakedOf([node.wallet.account.address])).toBe(
      parseEther('500'),
    )
    expect(await market.read.owedOf([auditor.wallet.account.address])).toBe(
      parseEther('50') + parseEther('125'),
    )
    expect(await market.read.owedOf([requester.wallet.account.address])).toBe(
      parseEther('10'),
    )
    const [, , slashed] = await market.read.reputationOf([
      node.wallet.account.address,
    ])
    expect(slashed).toBe(1)
  })

  it('times out a node that misses its deadline and cancels unassigned tasks', async () => {
    const { addresses, requester, node, market, staking } = f
    const { taskId } = await postTask(requester, {
      addresses,
      ...taskSpec('late'),
      maxPrice: parseEther('10'),
      bidDeadline: (await now()) + 600n,
      execWindow: 300,
    })
    const { bidIndex } = await placeBid(node, {
      addresses,
      taskId,
      price: parseEther('6'),
    })
    await assignTask(requester, { addresses, taskId, bidIndex })
    expect(
      await revertName(timeoutTask(requester, { addresses, taskId })),
    ).toBe('TaskMarketWindowOpen')
    await f.networkHelpers.time.increase(301)
    await timeoutTask(requester, { addresses, taskId })
    expect((await getTask(requester, { addresses, taskId })).state).toBe(
      'TimedOut',
    )
    // the escrow back now; the 6 POCKET bid lock slashed to the requester
    // vests over the unbonding period (never a faster exit than unbonding)
    expect(await market.read.owedOf([requester.wallet.account.address])).toBe(
      parseEther('10'),
    )
    expect(
      (await market.read.vestingOf([requester.wallet.account.address])).amount,
    ).toBe(parseEther('6'))
    expect(await staking.read.stakedOf([node.wallet.account.address])).toBe(
      parseEther('994'),
    )

    const { taskId: second } = await postTask(requester, {
      addresses,
      ...taskSpec('cancel'),
      maxPrice: parseEther('5'),
      bidDeadline: (await now()) + 600n,
      execWindow: 300,
    })
    await placeBid(node, { addresses, taskId: second, price: parseEther('5') })
    expect(
      await revertName(cancelTask(node, { addresses, taskId: second })),
    ).toBe('TaskMarketUnauthorized')
    await cancelTask(requester, { addresses, taskId: second })
    expect(
      (await getTask(requester, { addresses, taskId: second })).state,
    ).toBe('Cancelled')
    expect(
      (await market.read.nodeStateOf([node.wallet.account.address])).locked,
    ).toBe(0n)
    await withdraw(requester, { addresses })
    expect(await market.read.owedOf([requester.wallet.account.address])).toBe(
      0n,
    )
  })
})
