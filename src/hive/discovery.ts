// DNS-SD discovery of `_pocketcloud._tcp`: advertised with @homebridge/ciao
// (conformant responder: probing, announcements, goodbye packets), browsed
// with bonjour-service. The TXT record stays small (txtvers, device id,
// hive tag, protocol version, port); everything else is fetched over HTTP
// from /v1/hive/status, where it is signed.
import { networkInterfaces } from 'node:os'
import ciao from '@homebridge/ciao'
import Bonjour from 'bonjour-service'

type Responder = ReturnType<typeof ciao.getResponder>
type Service = Bonjour.Service
type Browser = Bonjour.Browser

export const SERVICE_TYPE = 'pocketcloud'
export const PROTOCOL_VERSION = '1'

export type Advert = {
  /** Device id (32 hex). */
  device: string
  /** First 8 hex of the hive id: lets members skip other hives' adverts. */
  hive: string
  port: number
  /** Instance name shown in browsers (e.g. "Anna's MacBook"). */
  name: string
}

/**
 * Interfaces to advertise on: the one holding `host` when the server binds
 * one address, else every non-internal IPv4 interface. Named explicitly:
 * left to itself ciao may pick only the loopback (seen in network
 * namespaces).
 */
export function advertInterfaces(host: string): string[] {
  const all = Object.entries(networkInterfaces())
  const named = all
    .filter(([, addrs]) => addrs?.some((a) => a.address === host))
    .map(([name]) => name)
  if (named.length && !['127.0.0.1', '::1'].includes(host)) return named
  return all
    .filter(([, addrs]) =>
      addrs?.some((a) => a.family === 'IPv4' && !a.internal),
    )
    .map(([name]) => name)
}

export type Sighting = {
  device: string
  hive: string
  host: string
  port: number
}

/** The TXT record for an advert; kept ≤ 200 bytes on the wire. */
export function txtRecord(a: Advert): Record<string, string> {
  return {
    txtvers: '1',
    id: a.device,
    hv: a.hive,
    pv: PROTOCOL_VERSION,
    port: String(a.port),
  }
}

/** Wire size of a TXT record: one length byte plus "key=value" per entry. */
export function txtSize(txt: Record<string, string>): number {
  return Object.entries(txt).reduce(
    (n, [k, v]) => n + 1 + Buffer.byteLength(`${k}=${v}`),
    0,
  )
}

function sightingOf(s: Service): Sighting | null {
  const txt = (s.txt ?? {}) as Record<string, unknown>
  const str = (v: unknown) =>
    typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString() : ''
  const device = str(txt.id)
  const hive = str(txt.hv)
  if (!/^[0-9a-f]{32}$/.test(device) || str(txt.pv) !== PROTOCOL_VERSION)
    return null
  const v4 = (s.addresses ?? []).filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a))
  const host = v4[0] ?? s.referer?.address ?? s.host
  if (!host) return null
  return { device, hive, host, port: s.port }
}

export type DiscoveryHandlers = {
  up: (s: Sighting) => void
  down: (device: string) => void
}

export class Discovery {
  #responder: Responder | null = null
  #service: ReturnType<Responder['createService']> | null = null
  #bonjour: Bonjour | null = null
  #browser: Browser | null = null
  #requery: ReturnType<typeof setInterval> | null = null

  async start(
    advert: Advert,
    on: DiscoveryHandlers,
    interfaces: string[] = [],
  ): Promise<void> {
    this.#responder = ciao.getResponder(
      interfaces.length ? { interface: interfaces } : {},
    )
    this.#service = this.#responder.createService({
      name: advert.name,
      type: SERVICE_TYPE,
      port: advert.port,
      txt: txtRecord(advert),
    })
    await this.#service.advertise()
    this.#bonjour = new Bonjour()
    const browser = this.#bonjour.find({ type: SERVICE_TYPE })
    this.#browser = browser
    browser.on('up', (s: Service) => {
      const seen = sightingOf(s)
      if (seen && seen.device !== advert.device) on.up(seen)
    })
    browser.on('down', (s: Service) => {
      const seen = sightingOf(s)
      if (seen) on.down(seen.device)
    })
    // Re-ask now and then: catches adverts whose announcements were missed.
    this.#requery = setInterval(() => browser.update(), 3_000)
    this.#requery.unref()
  }

  /** Sends goodbye packets, then closes the sockets. Safe twice. */
  async stop(): Promise<void> {
    if (this.#requery) clearInterval(this.#requery)
    this.#requery = null
    this.#browser?.stop()
    this.#browser = null
    const bonjour = this.#bonjour
    this.#bonjour = null
    await new Promise<void>((r) => (bonjour ? bonjour.destroy(() => r()) : r()))
    const responder = this.#responder
    this.#responder = null
    this.#service = null
    await responder?.shutdown().catch(() => {})
  }
}
