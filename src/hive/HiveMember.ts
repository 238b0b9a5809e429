// One device's membership in a hive: its identity (key + hive-signed
// certificate), the peers it knows (found by DNS-SD or given by hand,
// verified through their signed status and probed every couple of
// seconds), its own load and power state, the revocation set and the
// ledger. Routing asks it for a ranking of members for a model.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerContext } from '../server/context.ts'
import type { DeviceCertificate } from './certificate.ts'
import { verifyCertificate } from './certificate.ts'
import { advertInterfaces, Discovery, type Sighting } from './discovery.ts'
import {
  canonicalJson,
  fromBase64url,
  sha256,
  toBase64url,
} from './encoding.ts'
import type { Hive } from './joinCode.ts'
import { type KeyPair, sign, verify } from './keys.ts'
import { Ledger } from './ledger.ts'
import { powerReader } from './power/powerReader.ts'
import {
  type PowerReader,
  type PowerState,
  UNKNOWN_POWER,
} from './power/types.ts'
import { type Revocation, RevocationSet } from './revocations.ts'
import {
  DEFAULT_POLICY,
  type MemberLoad,
  type ScorePolicy,
  scoreMember,
} from './score.ts'
import { NonceCache, signRequest } from './signedRequest.ts'

export type MemberStatus = MemberLoad & {
  v: 1
  cert: DeviceCertificate
  revocations: Revocation[]
  time: number
}

export type Peer = {
  device: string
  url: string
  cert: DeviceCertificate
  key: Uint8Array
  status: MemberStatus
  rttMs: number
  lastSeen: number
  source: 'dns-sd' | 'manual'
}

export type Ranked = {
  target: 'self' | Peer
  device: string
  score: number
  why: string
}

export type HiveMemberOptions = {
  hive: Hive
  device: KeyPair
  cert: DeviceCertificate
  /** Ledger and revocations persist here; null keeps them in memory. */
  dir: string | null
  /** Manual peers, `host:port` (networks that block multicast). */
  peers?: string[]
  /** DNS-SD advertise + browse (default true). */
  discovery?: boolean
  /** The address the server binds: DNS-SD advertises on its interface. */
  bindHost?: string
  power?: PowerReader
  policy?: Partial<ScorePolicy>
  /** Probe period (default 2000 ms); a peer is dropped after 3 misses. */
  probeIntervalMs?: number
  probeTimeoutMs?: number
  /** Mid-stream silence after which a serving peer counts as dead (10 s). */
  stallMs?: number
}

const MISSES = 3
const debug = (line: string) => {
  if (process.env.POCKET_HIVE_DEBUG) console.error(`[hive] ${line}`)
}

export class HiveMember {
  readonly hive: Hive
  readonly identity: { cert: DeviceCertificate; key: KeyPair }
  readonly revocations: RevocationSet
  readonly ledger: Ledger
  readonly nonces = new NonceCache()
  readonly policy: ScorePolicy
  readonly stallMs: number
  #peers = new Map<string, Peer>()
  /** host:port -> how it was learned and consecutive misses. */
  #addresses = new Map<
    string,
    { source: Peer['source']; misses: number; device?: string }
  >()
  #ctx: ServerContext | null = null
  #power: PowerState = UNKNOWN_POWER
  #powerReader: PowerReader
  #tokPerSec: number | null = null
  #discovery: Discovery | null = null
  #timer: ReturnType<typeof setInterval> | null = null
  #opts: HiveMemberOptions
  #selfUrl = ''

  constructor(opts: HiveMemberOptions) {
    this.#opts = opts
    this.hive = opts.hive
    this.identity = { cert: opts.cert, key: opts.device }
    this.policy = { ...DEFAULT_POLICY, ...opts.policy }
    this.stallMs = opts.stallMs ?? 10_000
    const revoked = opts.dir ? join(opts.dir, 'revocations.json') : null
    this.revocations = new RevocationSet(
      opts.hive,
      revoked && existsSync(revoked)
        ? JSON.parse(readFileSync(revoked, 'utf8'))
        : [],
    )
    this.ledger = new Ledger(
      opts.hive,
      opts.dir ? join(opts.dir, 'ledger.jsonl') : null,
    )
    this.#powerReader = opts.power ?? powerReader()
    for (const p of opts.peers ?? []) this.addAddress(p, 'manual')
  }

  get device(): string {
    return this.identity.cert.device
  }

  get url(): string {
    return this.#selfUrl
  }

  attach(ctx: ServerContext): void {
    this.#ctx = ctx
  }

  /** The server this member runs in (its residency audits redundancy). */
  get context(): ServerContext | null {
    return this.#ctx
  }

  addAddress(hostPort: string, source: Peer['source'], device?: string): void {
    const key = hostPort.replace(/^https?:\/\//, '')
    if (!this.#addresses.has(key))
      this.#addresses.set(key, { source, misses: 0, device })
  }

  async start(selfUrl: string): Promise<void> {
    this.#selfUrl = selfUrl
    await this.refreshPower()
    if (this.#opts.discovery !== false) {
      this.#discovery = new Discovery()
      await this.#discovery.start(
        {
          device: this.device,
          hive: this.hive.id.slice(0, 8),
          port: Number(new URL(selfUrl).port),
          name: `${this.identity.cert.name} (${this.device.slice(0, 6)})`,
        },
        {
          up: (s: Sighting) => {
            debug(`dns-sd up ${s.device} ${s.host}:${s.port} hive ${s.hive}`)
            if (s.hive !== this.hive.id.slice(0, 8)) return
            this.addAddress(`${s.host}:${s.port}`, 'dns-sd', s.device)
            void this.probe(`${s.host}:${s.port}`)
          },
          down: (device) => this.#drop(device, true),
        },
        advertInterfaces(this.#opts.bindHost ?? '0.0.0.0'),
      )
    }
    const every = this.#opts.probeIntervalMs ?? 2_000
    this.#timer = setInterval(() => void this.probeAll(), every)
    this.#timer.unref()
    await this.probeAll()
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.#discovery?.stop()
    this.#discovery = null
  }

  /** Folds one local generation's speed into the moving average. */
  observe(tokensPerSecond: number): void {
    if (!(tokensPerSecond > 0)) return
    this.#tokPerSec =
      this.#tokPerSec === null
        ? tokensPerSecond
        : 0.7 * this.#tokPerSec + 0.3 * tokensPerSecond
  }

  async refreshPower(): Promise<void> {
    this.#power = await this.#powerReader.read().catch(() => UNKNOWN_POWER)
  }

  #available: { at: number; list: Promise<string[]> } | null = null

  // The catalogue scans disk: reuse its list for a couple of seconds.
  #catalogue(ctx: ServerContext): Promise<string[]> {
    const now = Date.now()
    if (!this.#available || now - this.#available.at > 2_000)
      this.#available = {
        at: now,
        list: ctx.catalogue
          .list()
          .then((ms) => ms.flatMap((m) => [m.key, m.alias]))
          .catch(() => []),
      }
    return this.#available.list
  }

  async localLoad(): Promise<MemberLoad> {
    const ctx = this.#ctx
    const loaded = ctx ? ctx.residency.list().map((i) => i.identifier) : []
    const available = ctx?.residency.jit ? await this.#catalogue(ctx) : []
    return {
      loaded,
      available: [...new Set([...available, ...loaded])],
      queue: ctx?.generations.snapshot().activeGenerations ?? 0,
      tokPerSec: this.#tokPerSec,
      power: this.#power,
    }
  }

  /** This member's status, signed by its device key. */
  async signedStatus(): Promise<{ status: MemberStatus; sig: string }> {
    const status: MemberStatus = {
      v: 1,
      ...(await this.localLoad()),
      cert: this.identity.cert,
      revocations: this.revocations.list(),
      time: Date.now(),
    }
    const sig = sign(sha256(canonicalJson(status)), this.identity.key.secretKey)
    return { status, sig: toBase64url(sig) }
  }

  peers(): Peer[] {
    return [...this.#peers.values()]
  }

  peer(device: string): Peer | undefined {
    return this.#peers.get(device)
  }

  /** Signed request to a member's hive endpoint. */
  signedFetch(
    url: string,
    path: string,
    init: { method?: string; body?: string; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const method = init.method ?? (init.body === undefined ? 'GET' : 'POST')
    const headers = signRequest(this.identity, method, path, init.body ?? '')
    return fetch(url + path, {
      method,
      headers: { ...headers, 'content-type': 'application/json' },
      body: init.body,
      signal: init.signal,
    })
  }

  async probeAll(): Promise<void> {
    await this.refreshPower()
    await Promise.all([...this.#addresses.keys()].map((a) => this.probe(a)))
  }

  /** Fetches and verifies one address's signed status. */
  async probe(address: string): Promise<Peer | null> {
    const entry = this.#addresses.get(address)
    if (!entry) return null
    const url = `http://${address}`
    const t0 = performance.now()
    try {
      const res = await this.signedFetch(url, '/v1/hive/status', {
        signal: AbortSignal.timeout(this.#opts.probeTimeoutMs ?? 3_000),
      })
      if (!res.ok) throw new Error(`status ${res.status}`)
      const { status, sig } = (await res.json()) as {
        status: MemberStatus
        sig: string
      }
      const rttMs = performance.now() - t0
      const key = verifyCertificate(status.cert, this.hive.key.publicKey)
      if (!verify(fromBase64url(sig), sha256(canonicalJson(status)), key))
        throw new Error('status signature does not verify')
      if (entry.device && entry.device !== status.cert.device)
        throw new Error('advertised id differs from the certificate')
      if (this.revocations.merge(status.revocations ?? []))
        this.#saveRevocations()
      const device = status.cert.device
      if (device === this.device || this.revocations.has(device)) {
        this.#drop(device, false)
        return null
      }
      entry.misses = 0
      entry.device = device
      const peer: Peer = {
        device,
        url,
        cert: status.cert,
        key,
        status,
        rttMs,
        lastSeen: Date.now(),
        source: entry.source,
      }
      this.#peers.set(device, peer)
      return peer
    } catch (e) {
      debug(`probe ${address} failed: ${(e as Error).message}`)
      entry.misses++
      if (entry.misses >= MISSES && entry.device)
        this.#drop(entry.device, false)
      if (entry.source === 'dns-sd' && entry.misses >= 2 * MISSES)
        this.#addresses.delete(address)
      return null
    }
  }

  /** Marks a device gone (probe misses, goodbye, failed stream). */
  #drop(device: string, forgetAddress: boolean): void {
    this.#peers.delete(device)
    if (!forgetAddress) return
    for (const [a, e] of this.#addresses)
      if (e.device === device && e.source === 'dns-sd')
        this.#addresses.delete(a)
  }

  /** Recent failovers (newest last), shown in this member's status. */
  readonly failovers: {
    from: string
    to: string
    emitted: number
    at: number
  }[] = []

  recordFailover(f: HiveMember['failovers'][number]): void {
    this.failovers.push(f)
    if (this.failovers.length > 32) this.failovers.shift()
  }

  /** A peer failed mid-request: off the table until a probe finds it again. */
  suspect(device: string): void {
    this.#peers.delete(device)
  }

  revoke(r: Revocation): boolean {
    const added = this.revocations.merge([r]) > 0
    if (added) {
      this.#drop(r.device, false)
      this.#saveRevocations()
    }
    return added
  }

  #saveRevocations(): void {
    if (!this.#opts.dir) return
    mkdirSync(this.#opts.dir, { recursive: true })
    writeFileSync(
      join(this.#opts.dir, 'revocations.json'),
      JSON.stringify(this.revocations.list()),
    )
  }

  /** Members able to serve `model`, best first. */
  async rank(
    model: string,
    exclude: Set<string> = new Set(),
  ): Promise<Ranked[]> {
    const out: Ranked[] = []
    if (!exclude.has(this.device)) {
      const s = scoreMember(await this.localLoad(), model, 0, this.policy)
      if (s.score !== null)
        out.push({
          target: 'self',
          device: this.device,
          score: s.score,
          why: s.why,
        })
    }
    for (const p of this.#peers.values()) {
      if (exclude.has(p.device) || this.revocations.has(p.device)) continue
      const s = scoreMember(p.status, model, p.rttMs, this.policy)
      if (s.score !== null)
        out.push({ target: p, device: p.device, score: s.score, why: s.why })
    }
    return out.sort((a, b) => b.score - a.score)
  }
}
