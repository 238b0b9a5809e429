// The hive end to end: four `pocket serve --hive` processes on loopback
// (manual peers; multicast discovery is tested in hiveDiscovery.test.ts),
// the real SmolLM2 weights, a Hardhat chain for settlement. A stranger is
// refused; battery/thermal state (fake sysfs roots) moves placement; a
// member SIGKILLed mid-stream leaves the client's stream whole; redundancy
// catches a member running a different model (two blocks dropped) under
// the same name; revocation spreads; the ledger balances and settles.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type Address, bytesToHex, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { issueCertificate } from '../../src/hive/certificate.ts'
import {
  hiveSettlementAbi,
  hiveSettlementBytecode,
} from '../../src/hive/hiveSettlementAbi.ts'
import { hiveFromSecret } from '../../src/hive/joinCode.ts'
import { generateKeyPair } from '../../src/hive/keys.ts'
import { signRequest } from '../../src/hive/signedRequest.ts'
import { normalizeAnswer } from '../../src/hive/synthesis.ts'
import {
  freePort,
  type LocalChain,
} from '../../src/marketplace/startLocalChain.ts'
import { dropBlocks } from '../helpers/cheatGguf.ts'
import {
  type MemberProcess,
  peersOf,
  SMOL,
  startMember,
  waitFor,
  writeSysfs,
} from '../helpers/hiveMember.ts'
import { smollm2Path } from '../helpers/models.ts'
import { startLocalChain } from './localChain.ts'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..', '..')
const pocket = (args: string[], home: string) =>
  run(process.execPath, [join(root, 'bin', 'pocket.js'), ...args], {
    cwd: root,
    env: { ...process.env, POCKET_HOME: home },
    timeout: 120_000,
  })

// Never stop on EOS: the failover stream must outlive the kill.
const NO_EOS = { '0': -100, '1': -100, '2': -100 }
const chat = (extra: object) => ({
  model: SMOL,
  messages: [
    {
      role: 'user',
      content: 'Tell me a long story about a lighthouse keeper.',
    },
  ],
  temperature: 0,
  max_tokens: 48,
  ...extra,
})

async function post(url: string, body: object) {
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  })
  return {
    status: r.status,
    hive: JSON.parse(r.headers.get('x-pocket-hive') ?? 'null'),
    body: (await r.json()) as any,
  }
}

/** Streams a chat completion; `onChunk(n)` after each content chunk. */
async function stream(url: string, body: object, onChunk: (n: number) => void) {
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
    signal: AbortSignal.timeout(120_000),
  })
  let text = ''
  let finish: string | null = null
  let chunks = 0
  let done = false
  let buf = ''
  const decoder = new TextDecoder()
  for await (const part of r.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(part, { stream: true })
    let nl = buf.indexOf('\n')
    while (nl >= 0) {
      const line = buf.slice(0, nl).trim()
      buf = buf.slice(nl + 1)
      nl = buf.indexOf('\n')
      if (!line.startsWith('data: ')) continue
      if (line === 'data: [DONE]') {
        done = true
        continue
      }
      const ev = JSON.parse(line.slice(6))
      if (ev.error) throw new Error(`stream error: ${ev.error.message}`)
      const c = ev.choices?.[0]
      if (c?.delta?.content) {
        text += c.delta.content
        onChunk(++chunks)
      }
      if (c?.finish_reason) finish = c.finish_reason
    }
  }
  return { text, finish, done }
}

describe('hive (four member processes)', () => {
  let work: string
  let code: string
  const m: Record<'A' | 'B' | 'C' | 'D', MemberProcess | null> = {
    A: null,
    B: null,
    C: null,
    D: null,
  }
  const ids: Record<string, string> = {}
  let ports: Record<'A' | 'B' | 'C' | 'D', number>
  let chain: LocalChain | null = null
  const sysfs = (n: string) => join(work, `sysfs-${n}`)

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'pocket-hive-e2e-'))
    const { stdout } = await pocket(
      ['hive', 'init', '--json', '--price', '0.5'],
      join(work, 'init'),
    )
    code = JSON.parse(stdout).code
    expect(code).toMatch(/^ph1\./)
    ports = {
      A: await freePort(),
      B: await freePort(),
      C: await freePort(),
      D: await freePort(),
    }
    const all = Object.values(ports).map((p) => `127.0.0.1:${p}`)
    // A coordinates and, being critically hot, never serves itself.
    await writeSysfs(sysfs('A'), { percent: null, charging: true, tempC: 99 })
    await writeSysfs(sysfs('B'), { percent: null, charging: true, tempC: 40 })
    await writeSysfs(sysfs('C'), { percent: null, charging: true, tempC: 40 })
    await writeSysfs(sysfs('D'), { percent: null, charging: true, tempC: 40 })
    // Dev accounts 5, 6, 7 (Hardhat's mnemonic) are paid for B, C, D.
    const dev = [
      '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc',
      '0x976EA74026E726554dB657fA54763abd0C3a0aa9',
      '0x14dC79964da2C08b23698B3D3cc7Ca32193d9955',
    ]
    const started = await Promise.all(
      (['A', 'B', 'C'] as const).map((n, i) =>
        startMember({
          name: n,
          code,
          port: ports[n],
          peers: all.filter((a) => a !== `127.0.0.1:${ports[n]}`),
          sysfs: sysfs(n),
          ...(i > 0 ? { payout: dev[i - 1] } : {}),
        }),
      ),
    )
    ;[m.A, m.B, m.C] = started
    for (const [n, p] of Object.entries(m)) if (p) ids[n] = await p.device()
    await waitFor(
      async () => (await peersOf(m.A?.url as string)).data.length >= 2 && true,
      60_000,
      'A to see B and C',
    )
  })

  afterAll(async () => {
    await Promise.all(Object.values(m).map((p) => p?.kill('SIGKILL')))
    await chain?.stop()
    await rm(work, { recursive: true, force: true })
  })

  test('members list each other with models, load and power', async () => {
    const peers = await peersOf(m.A?.url as string)
    expect(peers.device).toBe(ids.A)
    expect(peers.data.map((p) => p.device).sort()).toEqual(
      [ids.B, ids.C].sort(),
    )
    for (const p of peers.data as any[]) {
      expect(p.models.available).toContain(SMOL)
      expect(p.thermal).toBe('nominal')
    }
  })

  test('an unpaired device is refused', async () => {
    const stranger = hiveFromSecret(generateKeyPair().secretKey, 0n)
    const key = generateKeyPair()
    const cert = issueCertificate(stranger, key, { name: 'stranger' })
    const body = JSON.stringify({ kind: 'chat', body: chat({}) })
    const headers = signRequest(
      { cert, key },
      'POST',
      '/v1/hive/generate',
      body,
    )
    const signed = await fetch(`${m.A?.url}/v1/hive/generate`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    })
    expect(signed.status).toBe(401)
    expect(((await signed.json()) as any).error.code).toBe('hive_unauthorized')
    const unsigned = await fetch(`${m.A?.url}/v1/hive/status`)
    expect(unsigned.status).toBe(401)
    // A member's certificate replayed with a stranger's signature fails too.
    const forged = {
      ...headers,
      'x-hive-cert': signRequest(
        { cert: { ...cert, hive: 'x' }, key },
        'GET',
        '/',
        '',
      )['x-hive-cert'] as string,
    }
    const r = await fetch(`${m.A?.url}/v1/hive/status`, { headers: forged })
    expect(r.status).toBe(401)
  })

  test('battery and thermal state change placement', async () => {
    const A = m.A?.url as string
    const until = (n: 'B' | 'C', ok: (p: any) => boolean) =>
      waitFor(
        async () =>
          ok((await peersOf(A)).data.find((p) => p.device === ids[n])),
        20_000,
        `${n}'s power state`,
      )
    await writeSysfs(sysfs('B'), { percent: 10, charging: false, tempC: 40 })
    await until('B', (p) => p?.battery?.percent === 10)
    for (let i = 0; i < 2; i++) {
      const r = await post(A, chat({ max_tokens: 4 }))
      expect(r.body.error ?? null).toBeNull()
      expect(r.hive.served).toBe(ids.C)
    }
    await writeSysfs(sysfs('B'), { percent: 90, charging: true, tempC: 40 })
    await writeSysfs(sysfs('C'), { percent: null, charging: true, tempC: 99 })
    await until('B', (p) => p?.battery?.percent === 90)
    await until('C', (p) => p?.thermal === 'critical')
    for (let i = 0; i < 2; i++) {
      const r = await post(A, chat({ max_tokens: 4 }))
      expect(r.body.error ?? null).toBeNull()
      expect(r.hive.served).toBe(ids.B)
    }
    await writeSysfs(sysfs('C'), { percent: null, charging: true, tempC: 40 })
    await until('C', (p) => p?.thermal === 'nominal')
  })

  test('a member SIGKILLed mid-stream: the client stream completes', async () => {
    const A = m.A?.url as string
    const body = chat({ max_tokens: 160, logit_bias: NO_EOS })
    const reference = await stream(
      A,
      { ...body, hive: { device: ids.C } },
      () => {},
    )
    expect(reference.finish).toBe('length')
    let killed: Promise<void> | null = null
    const got = await stream(A, { ...body, hive: { device: ids.B } }, (n) => {
      if (n === 8) killed = m.B?.kill('SIGKILL') ?? null
    })
    await killed
    m.B = null
    expect(got.done).toBe(true)
    expect(got.finish).toBe('length')
    // Greedy, so the resumed stream is the uninterrupted one.
    expect(got.text).toBe(reference.text)
    const { failovers } = await peersOf(A)
    expect(failovers.at(-1)).toMatchObject({ from: ids.B, to: ids.C })
    // The dead member is dropped and nothing hangs: the next request is served.
    expect((await post(A, chat({ max_tokens: 4 }))).status).toBe(200)
  })

  test('redundancy catches a member running a different model', async () => {
    const cheat = join(work, 'cheat.gguf')
    dropBlocks(smollm2Path(), cheat, [10, 20])
    m.D = await startMember({
      name: 'D',
      code,
      port: ports.D,
      peers: [`127.0.0.1:${ports.A}`, `127.0.0.1:${ports.C}`],
      sysfs: sysfs('D'),
      weights: cheat,
      payout: '0x14dC79964da2C08b23698B3D3cc7Ca32193d9955',
    })
    ids.D = await m.D.device()
    await waitFor(
      async () =>
        (await peersOf(m.A?.url as string)).data.some(
          (p) => p.device === ids.D,
        ),
      30_000,
      'A to see D',
    )
    const r = await post(
      m.A?.url as string,
      chat({ max_tokens: 24, hive: { redundancy: 2 } }),
    )
    expect(r.status).toBe(200)
    expect(r.hive.redundancy).toBe(2)
    expect(r.hive.agreed).toBe(false)
    expect(r.hive.served).toBe(ids.C)
    const byDevice = Object.fromEntries(
      r.hive.members.map((x: any) => [x.device, x]),
    )
    expect(byDevice[ids.C].audit.ok).toBe(true)
    expect(byDevice[ids.D].audit.ok).toBe(false)
    expect(byDevice[ids.D].modelDigest).not.toBe(byDevice[ids.C].modelDigest)
    expect(r.body.choices[0].message.content.length).toBeGreaterThan(0)
  })

  test('pocket hive remove revokes a device across the hive', async () => {
    await pocket(
      ['hive', 'remove', ids.D as string, '--url', m.A?.url as string],
      m.A?.home as string,
    )
    expect(
      (await peersOf(m.A?.url as string)).data.some((p) => p.device === ids.D),
    ).toBe(false)
    // C learns it from A's status and drops D too.
    await waitFor(
      async () =>
        !(await peersOf(m.C?.url as string)).data.some(
          (p) => p.device === ids.D,
        ),
      20_000,
      'C to drop D',
    )
    const pinned = await post(
      m.A?.url as string,
      chat({ max_tokens: 4, hive: { device: ids.D } }),
    )
    expect(pinned.status).toBe(503)
  })

  test('synthesis: a majority vote over three answers', async () => {
    const r = await post(
      m.A?.url as string,
      chat({ max_tokens: 8, hive: { synthesis: 'vote', samples: 3 } }),
    )
    expect(r.status).toBe(200)
    expect(r.hive.synthesis).toBe('vote')
    expect(r.hive.answers).toHaveLength(3)
    const votes = Object.entries(r.hive.votes as Record<string, number>)
    expect(votes.reduce((n, [, v]) => n + v, 0)).toBe(3)
    const [winner] = votes.sort((a, b) => b[1] - a[1])[0] as [string, number]
    expect(normalizeAnswer(r.body.choices[0].message.content)).toBe(winner)
  })

  test('the ledger balances and settles on a Hardhat chain in one transaction', async () => {
    const A = m.A?.url as string
    const ledger = (await (await fetch(`${A}/v1/hive/ledger`)).json()) as any
    const owed = new Map<string, bigint>()
    let total = 0n
    for (const e of ledger.data) {
      const amount =
        (BigInt(e.receipt.promptTokens + e.receipt.completionTokens) *
          BigInt(ledger.price_per_1k)) /
        1000n
      const k = (e.deviceCert.payout as string).toLowerCase()
      owed.set(k, (owed.get(k) ?? 0n) + amount)
      total += amount
      expect(e.requesterSig).toBeTruthy()
    }
    expect(
      ledger.devices.reduce((n: bigint, d: any) => n + BigInt(d.owed), 0n),
    ).toBe(total)
    // B and C served; D's output failed its audit, so D earns nothing.
    expect([...owed.keys()].sort()).toEqual(
      [
        '0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc',
        '0x976ea74026e726554db657fa54763abd0c3a0aa9',
      ].sort(),
    )
    chain = await startLocalChain(join(work, 'deployment.json'), [])
    const deployer = chain.clients(0)
    const hash = await deployer.wallet.deployContract({
      abi: hiveSettlementAbi,
      bytecode: hiveSettlementBytecode,
      args: [chain.deployment.addresses.PocketToken],
      chain: null,
    } as never)
    const receipt = await deployer.public.waitForTransactionReceipt({ hash })
    const contract = receipt.contractAddress as Address
    const payerKey = bytesToHex(
      chain.account(1).getHdKey().privateKey as Uint8Array,
    )
    const { stdout } = await pocket(
      [
        'hive',
        'settle',
        '--contract',
        contract,
        '--rpc',
        chain.url,
        '--private-key',
        payerKey,
        '--url',
        A,
        '--json',
      ],
      m.A?.home as string,
    )
    const out = JSON.parse(stdout)
    expect(out.transaction).toMatch(/^0x/)
    expect(BigInt(out.funded)).toBe(total)
    const erc20 = parseAbi([
      'function balanceOf(address) view returns (uint256)',
    ])
    for (const [account, amount] of owed) {
      const balance = await deployer.public.readContract({
        address: chain.deployment.addresses.PocketToken,
        abi: erc20,
        functionName: 'balanceOf',
        args: [account as Address],
      })
      expect(balance).toBe(amount)
    }
    const again = JSON.parse(
      (
        await pocket(
          [
            'hive',
            'settle',
            '--contract',
            contract,
            '--rpc',
            chain.url,
            '--private-key',
            payerKey,
            '--url',
            A,
            '--json',
          ],
          m.A?.home as string,
        )
      ).stdout,
    )
    expect(again.transaction).toBeNull()
  })
})
