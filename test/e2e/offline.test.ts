// Local-only mode: with the offline guard on (what `pocket node start
// --offline` installs), a node daemon and a requester in this process run a
// private task end to end through the RPC endpoint and the payload relay,
// and every other destination is refused before a byte leaves: a canary
// server on another local port (named as a task's relay by a requester)
// sees no connection, and the public internet is unreachable.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NodeDaemon } from '../../node/daemon.ts'
import { ModelShelf } from '../../node/modelShelf.ts'
import {
  enforceOffline,
  OfflineError,
  type OfflineGuard,
} from '../../node/offline.ts'
import {
  getPrivateTaskResult,
  postPrivateTask,
  sendPrivateInput,
} from '../../node/privateRequester.ts'
import { assignBid, waitForTask } from '../../node/requester.ts'
import { NodeStore } from '../../node/store.ts'
import { loadModel } from '../../src/engine/loadModel.ts'
import type { Model } from '../../src/engine/model.ts'
import { type Relay, startRelay } from '../../src/privacy/startRelay.ts'
import { modelDigestOfPath } from '../../src/receipts/index.ts'
import { smollm2Path } from '../helpers/models.ts'
import { startLocalChain } from './localChain.ts'

const dir = mkdtempSync(join(tmpdir(), 'pocket-offline-'))
let chain: Awaited<ReturnType<typeof startLocalChain>>
let relay: Relay
let canary: Server
let canaryUrl: string
let canaryConnections = 0
let smol: Model
let digest: Hex
let guard: OfflineGuard | undefined
let store: NodeStore
let daemon: NodeDaemon

beforeAll(async () => {
  chain = await startLocalChain(join(dir, 'deployment.json'), [2])
  relay = await startRelay()
  // no keep-alive: a pooled socket from before the guard would be reused
  canary = createServer((_req, res) => {
    res.setHeader('connection', 'close')
    res.end('canary')
  })
  canary.on('connection', () => {
    canaryConnections++
  })
  await new Promise<void>((r) => canary.listen(0, '127.0.0.1', () => r()))
  canaryUrl = `http://127.0.0.1:${(canary.address() as { port: number }).port}`
  smol = await loadModel(smollm2Path())
  digest = (await modelDigestOfPath(smollm2Path())).digest
}, 240_000)

afterAll(async () => {
  guard?.dispose()
  await daemon?.stop()
  store?.close()
  await smol?.dispose()
  await relay?.close()
  canary?.close()
  await chain?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('offline mode', () => {
  it('reaches only the RPC endpoint and the configured peer', async () => {
    // the canary is reachable before the guard goes up
    expect(await (await fetch(canaryUrl)).text()).toBe('canary')
    const before = canaryConnections
    guard = enforceOffline({ allow: [chain.url, relay.url] })

    const shelf = new ModelShelf()
    shelf.put(digest, smol)
    store = new NodeStore(join(dir, 'node.db'))
    const log: string[] = []
    daemon = new NodeDaemon({
      clients: chain.clients(2),
      deployment: chain.deployment,
      store,
      models: shelf,
      policy: { priceFloor: parseEther('1'), maxQueue: 100 },
      power: () => ({}),
      pollMs: 200,
      log: (m) => log.push(m),
    })
    daemon.start()
    const requester = chain.clients(1)
    const task = (relayUrl: string) =>
      postPrivateTask(requester, chain.deployment, {
        relay: relayUrl,
        modelDigest: digest,
        input: { messages: [{ role: 'user', content: 'Count to three.' }] },
        sampling: { temperature: 0, maxTokens: 8 },
        maxPrice: parseEther('2'),
        bidWindow: 3000,
        execWindow: 3000,
      })
    // a requester names the canary as its relay: the node must not go there
    await task(canaryUrl)
    const p = await task(relay.url)
    await assignBid(requester, chain.deployment, {
      taskId: p.taskId,
      node: chain.account(2).address,
      timeoutMs: 60_000,
    })
    await sendPrivateInput(requester, chain.deployment, p)
    await waitForTask(requester, chain.deployment, {
      taskId: p.taskId,
      states: ['Committed'],
      timeoutMs: 180_000,
    })
    const result = await getPrivateTaskResult(requester, chain.deployment, p)
    expect(result.receiptValid).toBe(true)

    // the internet and the canary are refused, before DNS or a packet
    const refused = await fetch('https://huggingface.co/api/models').catch(
      (e: Error) => e,
    )
    expect(refused).toBeInstanceOf(Error)
    expect((refused as Error & { cause?: unknown }).cause).toBeInstanceOf(
      OfflineError,
    )
    await expect(fetch(canaryUrl)).rejects.toThrow()
    expect(canaryConnections).toBe(before)
    expect(log.join('\n')).toMatch(/Offline mode: connection to 127\.0\.0\.1/)

    const ports = new Set([chain.port, relay.port])
    const allowed = guard.attempts.filter((a) => a.allowed)
    const blocked = guard.attempts.filter((a) => !a.allowed)
    // (keep-alive pools reuse sockets: few connects, but to both and only both)
    expect(new Set(allowed.map((a) => a.port))).toEqual(ports)
    expect(blocked.map((a) => `${a.host}:${a.port}`)).toContain(
      `huggingface.co:443`,
    )
    expect(
      blocked.every((a) => !ports.has(a.port) || a.host === 'huggingface.co'),
    ).toBe(true)
    expect(
      blocked.some((a) => a.port === Number(new URL(canaryUrl).port)),
    ).toBe(true)
  }, 300_000)
})
