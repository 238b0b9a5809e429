// Private tasks end to end on a local Hardhat node with SmolLM2 and a
// payload relay: the chain holds only hashes, a descriptor and ciphertext
// URIs; the requester opens and checks the sealed output; the appointed
// auditor audits with its grant, catches a wrong-seed node and challenges;
// the keys are revealed to the drawn jurors only, who convict; the honest
// node is paid. Outsiders open nothing.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, type Hex, hexToString, parseEther } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Auditor } from '../../node/auditor.ts'
import { NodeDaemon } from '../../node/daemon.ts'
import { type Executor, executeTask } from '../../node/executeTask.ts'
import { ModelShelf } from '../../node/modelShelf.ts'
import { readOpLog, verifyOpLog } from '../../node/opLog.ts'
import {
  getPrivateTaskResult,
  postPrivateTask,
  sendPrivateInput,
} from '../../node/privateRequester.ts'
import { assignBid, waitForTask } from '../../node/requester.ts'
import { NodeStore } from '../../node/store.ts'
import { committedTasks, postedTask } from '../../node/taskEvents.ts'
import { taskMarketAbi } from '../../src/chain/abis.ts'
import { loadModel } from '../../src/engine/loadModel.ts'
import type { Model } from '../../src/engine/model.ts'
import { DEV_MNEMONIC } from '../../src/marketplace/startLocalChain.ts'
import { deriveEncryptionKey } from '../../src/privacy/encryptionKey.ts'
import { DecryptionError } from '../../src/privacy/errors.ts'
import { createRelayClient } from '../../src/privacy/relayClient.ts'
import {
  lookupKey,
  openReveal,
  openSealedOutput,
} from '../../src/privacy/sealedTask.ts'
import { type Relay, startRelay } from '../../src/privacy/startRelay.ts'
import { modelDigestOfPath } from '../../src/receipts/index.ts'
import { smollm2Path } from '../helpers/models.ts'
import { startLocalChain } from './localChain.ts'

const dir = mkdtempSync(join(tmpdir(), 'pocket-private-'))
const log = process.env.POCKET_E2E_LOG
  ? (m: string) => console.log(m)
  : () => {}
let chain: Awaited<ReturnType<typeof startLocalChain>>
let relay: Relay
let smol: Model
let digest: Hex
const shelf = new ModelShelf()
const running: { stop(): Promise<void> }[] = []
const stores: NodeStore[] = []
const otherSeed: Executor = (model, task) =>
  executeTask(model, { ...task, seed: task.seed + 1n })

function daemon(i: number, executor?: Executor) {
  const store = new NodeStore(join(dir, `node${i}.db`))
  stores.push(store)
  const d = new NodeDaemon({
    clients: chain.clients(i),
    deployment: chain.deployment,
    store,
    models: shelf,
    policy: { priceFloor: parseEther('1'), maxQueue: 100 },
    power: () => ({}),
    pollMs: 200,
    log,
    ...(executor ? { executor } : {}),
  })
  d.start()
  running.push(d)
  return { d, store }
}

async function until(what: string, check: () => Promise<boolean>) {
  const end = Date.now() + 180_000
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

beforeAll(async () => {
  chain = await startLocalChain(join(dir, 'deployment.json'), [2, 3, 4, 5, 6])
  relay = await startRelay({ dir: join(dir, 'relay') })
  smol = await loadModel(smollm2Path())
  digest = (await modelDigestOfPath(smollm2Path())).digest
  shelf.put(digest, smol)
}, 240_000)

afterAll(async () => {
  for (const r of running) await r.stop()
  for (const s of stores) s.close()
  await smol?.dispose()
  await relay?.close()
  await chain?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('private tasks', () => {
  it('keeps payloads off chain, audits with a grant, reveals to jurors only and slashes a cheat', async () => {
    const honest = daemon(2)
    daemon(3, otherSeed)
    daemon(4)
    daemon(5)
    const auditorStore = new NodeStore(join(dir, 'auditor.db'))
    stores.push(auditorStore)
    const auditor = new Auditor({
      clients: chain.clients(6),
      deployment: chain.deployment,
      store: auditorStore,
      models: shelf,
      pollMs: 200,
      log,
      relays: [relay.url],
    })
    auditor.start()
    running.push(auditor)
    const rc = createRelayClient(relay.url)
    const auditorAddress = chain.account(6).address
    await until('auditor key', async () =>
      lookupKey(rc, chain.deployment.chainId, auditorAddress).then(
        () => true,
        () => false,
      ),
    )
    const requester = chain.clients(1)
    const prompts = {
      honest: 'My secret plan: name three colors.',
      cheat: 'My other secret: write a poem about rain.',
    }
    const post = async (
      content: string,
      node: Address,
      temperature: number,
    ) => {
      const p = await postPrivateTask(requester, chain.deployment, {
        relay: relay.url,
        auditors: [auditorAddress],
        modelDigest: digest,
        input: { messages: [{ role: 'user', content }] },
        sampling: { temperature, maxTokens: 12 },
        maxPrice: parseEther('2'),
        bidWindow: 3000,
        execWindow: 3000,
      })
      await assignBid(requester, chain.deployment, {
        taskId: p.taskId,
        node,
        timeoutMs: 60_000,
      })
      await sendPrivateInput(requester, chain.deployment, p)
      return p
    }
    const h = await post(prompts.honest, chain.account(2).address, 0)
    const c = await post(prompts.cheat, chain.account(3).address, 0.8)

    // the chain holds hashes, a descriptor and a ciphertext URI only
    await waitForTask(requester, chain.deployment, {
      taskId: h.taskId,
      states: ['Committed'],
      timeoutMs: 180_000,
    })
    const posted = await postedTask(requester, chain.deployment, h.taskId)
    expect(hexToString(posted?.input ?? '0x')).not.toContain('secret')
    const [committed] = await committedTasks(requester, chain.deployment, {
      taskId: h.taskId,
    })
    expect(committed?.output).toBe('0x')
    expect(committed?.outputURI.startsWith(`${relay.url}/v1/blob/0x`)).toBe(
      true,
    )
    const blob = await rc.getBlob(committed?.outputURI ?? '')
    expect(Buffer.from(blob).toString()).not.toMatch(/PKR2|colou?r/i)

    // the requester opens and checks it; an outsider cannot
    const result = await getPrivateTaskResult(requester, chain.deployment, h)
    expect(result.receiptValid).toBe(true)
    expect(result.text?.length).toBeGreaterThan(0)
    const outsider = await deriveEncryptionKey(
      mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 9 }),
    )
    const scope = {
      chainId: chain.deployment.chainId,
      market: chain.deployment.addresses.TaskMarket,
    }
    await expect(
      openSealedOutput(rc, {
        scope,
        taskId: h.taskId,
        uri: committed?.outputURI ?? '',
        key: outsider,
      }),
    ).rejects.toBeInstanceOf(DecryptionError)

    // the auditor's grant: honest passes, the wrong seed is challenged
    await until('audits', async () =>
      [h.taskId, c.taskId].every((id) => auditorStore.audit(id) !== undefined),
    )
    expect(auditorStore.audit(h.taskId)?.guilty).toBe(0)
    expect(auditorStore.audit(c.taskId)?.guilty).toBe(1)
    await waitForTask(requester, chain.deployment, {
      taskId: c.taskId,
      states: ['Challenged'],
      timeoutMs: 120_000,
    })
    const [challenge] = await requester.public.getContractEvents({
      address: chain.deployment.addresses.TaskMarket,
      abi: taskMarketAbi,
      eventName: 'TaskChallenged',
      args: { taskId: c.taskId },
      fromBlock: 0n,
    })
    const jurors = challenge?.args.jurors as readonly Address[]
    expect(jurors.length).toBeGreaterThan(0)
    const votes = async () =>
      (
        await requester.public.getContractEvents({
          address: chain.deployment.addresses.TaskMarket,
          abi: taskMarketAbi,
          eventName: 'VoteCommitted',
          args: { taskId: c.taskId },
          fromBlock: 0n,
        })
      ).length
    await until('votes', async () => (await votes()) === jurors.length)
    // every juror voted guilty on the revealed plaintext
    const cast = stores.slice(0, 4).flatMap((s) => {
      const v = s.vote(c.taskId)
      return v ? [v.guilty] : []
    })
    expect(cast).toEqual(jurors.map(() => 1))
    // the reveal opens for jurors and for nobody else
    const jurorIndex = [2, 4, 5].find((i) =>
      jurors.some((j) => j === chain.account(i).address),
    ) as number
    const jurorKey = await deriveEncryptionKey(chain.account(jurorIndex))
    expect(
      await openReveal(rc, { scope, taskId: c.taskId, key: jurorKey }),
    ).toBeDefined()
    expect(
      await openReveal(rc, { scope, taskId: c.taskId, key: outsider }),
    ).toBeUndefined()
    expect(
      await openReveal(rc, {
        scope,
        taskId: c.taskId,
        key: await deriveEncryptionKey(chain.account(1)),
      }),
    ).toBeUndefined()

    await chain.increaseTime(301)
    await waitForTask(requester, chain.deployment, {
      taskId: c.taskId,
      states: ['Slashed'],
      timeoutMs: 120_000,
    })
    await chain.increaseTime(601)
    await until(
      'honest claim',
      async () => honest.store.task(h.taskId)?.status === 'claimed',
    )
    // the honest node's op log holds the whole path and verifies
    const ops = readOpLog(honest.store.db)
    expect(
      ops.filter((e) => e.taskId === String(h.taskId)).map((e) => e.kind),
    ).toEqual(['bid', 'run', 'commit', 'finalize', 'claim'])
    expect((await verifyOpLog(ops, chain.account(2).address)).ok).toBe(true)
  }, 600_000)
})
