// Client of the payload relay (startRelay.ts): content-addressed blobs
// checked against their URI's hash, and append-only JSON slots.
import { bytesToHex, type Hex, keccak256 } from 'viem'
import { RelayError } from './errors.ts'

export type RelayClient = {
  url: string
  putBlob: (bytes: Uint8Array) => Promise<string>
  getBlob: (uri: string) => Promise<Uint8Array>
  append: (slot: string, entry: unknown) => Promise<void>
  list: (slot: string) => Promise<unknown[]>
}

async function call(url: string, init?: RequestInit): Promise<Response> {
  let res: Response
  try {
    res = await fetch(url, init)
  } catch (cause) {
    // fetch's TypeError hides the reason (refused, offline mode) in its cause
    let root = cause as { cause?: unknown; message?: string }
    while (root?.cause) root = root.cause as typeof root
    throw new RelayError(`Relay unreachable at ${url}.`, {
      cause,
      details: root?.message,
    })
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '')
    throw new RelayError(`Relay answered ${res.status} for ${url}.`, {
      details: text.slice(0, 200),
    })
  }
  return res
}

export function createRelayClient(url: string): RelayClient {
  const base = url.replace(/\/+$/, '')
  const slotUrl = (slot: string) =>
    `${base}/v1/slot/${slot.split('/').map(encodeURIComponent).join('/')}`
  return {
    url: base,
    async putBlob(bytes) {
      const res = await call(`${base}/v1/blob`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      })
      return ((await res.json()) as { uri: string }).uri
    },
    async getBlob(uri) {
      const hash = /\/v1\/blob\/(0x[0-9a-f]{64})$/.exec(uri)?.[1] as
        | Hex
        | undefined
      if (!hash) throw new RelayError(`Not a relay blob URI: ${uri}.`)
      const res = await call(uri)
      const bytes = new Uint8Array(await res.arrayBuffer())
      if (keccak256(bytesToHex(bytes)) !== hash)
        throw new RelayError(`Relay served other bytes for ${hash}.`)
      return bytes
    },
    async append(slot, entry) {
      await call(slotUrl(slot), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(entry),
      })
    },
    async list(slot) {
      const res = await call(slotUrl(slot))
      const list = (await res.json()) as unknown
      return Array.isArray(list) ? list : []
    },
  }
}
