// Private tasks (the "pocket/sealed/v1" scheme). On chain a private task
// holds only hashes and pointers: its `input` field is a descriptor (relay
// URL, the requester's and appointed auditors' X25519 keys), `inputHash` is
// keccak256 of the plaintext input (which carries a random nonce, so the
// hash hides it), the output is committed as an empty inline field plus the
// URI of a ciphertext blob. Off chain, on the relay:
//   input/<chain>/<market>/<task>   the input sealed under a data key,
//                                   wrapped to the assigned node (+ auditors)
//   <blob URI>                      the output envelope sealed under a second
//                                   data key, wrapped to requester + auditors
//   reveal/<chain>/<market>/<task>  both data keys wrapped to the drawn
//                                   jurors only, posted on a challenge
//   key/<chain>/<address>           signed X25519 key announcements
import {
  type Address,
  bytesToHex,
  type Hex,
  hexToBytes,
  hexToString,
  keccak256,
  stringToHex,
} from 'viem'
import { type KeyAnnouncement, verifyKeyAnnouncement } from './encryptionKey.ts'
import { PrivacyError } from './errors.ts'
import type { RelayClient } from './relayClient.ts'
import {
  open,
  randomDataKey,
  type SealedPayload,
  seal,
  unwrapFrom,
  type WrappedKey,
  wrapKey,
  type X25519KeyPair,
} from './sealedBox.ts'

export const SEALED_SCHEME = 'pocket/sealed/v1'

export type SealedDescriptor = {
  sealed: typeof SEALED_SCHEME
  relay: string
  requesterKey: Hex
  auditorKeys: Hex[]
}

/** Where a task lives: chain id + TaskMarket address. */
export type TaskScope = { chainId: number; market: Address }

type Box = { v: 1; payload: SealedPayload; wraps: WrappedKey[] }

export type TaskKeys = { input: Uint8Array; output?: Uint8Array }

export const keySlot = (chainId: number, who: Address) =>
  `key/${chainId}/${who.toLowerCase()}`
const taskSlot = (kind: string, s: TaskScope, taskId: bigint) =>
  `${kind}/${s.chainId}/${s.market.toLowerCase()}/${taskId}`
const aad = (s: TaskScope, taskId: bigint, role: 'input' | 'output') =>
  `${SEALED_SCHEME}:${s.chainId}:${s.market.toLowerCase()}:${taskId}:${role}`

export function encodeSealedDescriptor(
  d: Omit<SealedDescriptor, 'sealed'>,
): Hex {
  return stringToHex(JSON.stringify({ sealed: SEALED_SCHEME, ...d }))
}

/** The descriptor of a private task, or undefined for a plaintext task. */
export function parseSealedDescriptor(
  input: Hex,
): SealedDescriptor | undefined {
  try {
    const d = JSON.parse(hexToString(input)) as Partial<SealedDescriptor>
    if (
      d?.sealed === SEALED_SCHEME &&
      typeof d.relay === 'string' &&
      typeof d.requesterKey === 'string' &&
      Array.isArray(d.auditorKeys)
    )
      return d as SealedDescriptor
  } catch {}
  return undefined
}

/** The first valid key announcement of `who` on the relay. */
export async function lookupKey(
  relay: RelayClient,
  chainId: number,
  who: Address,
): Promise<Hex> {
  for (const entry of await relay.list(keySlot(chainId, who))) {
    try {
      const a = await verifyKeyAnnouncement(entry as KeyAnnouncement, chainId)
      if (a.address.toLowerCase() === who.toLowerCase()) return a.publicKey
    } catch {}
  }
  throw new PrivacyError(`No valid encryption key announced for ${who}.`)
}

/** Seals the input for its readers and posts it to the task's input slot. */
export async function postSealedInput(
  relay: RelayClient,
  p: {
    scope: TaskScope
    taskId: bigint
    input: Hex
    dataKey: Uint8Array
    to: Hex[]
  },
): Promise<void> {
  const box: Box = {
    v: 1,
    payload: seal(
      p.dataKey,
      hexToBytes(p.input),
      aad(p.scope, p.taskId, 'input'),
    ),
    wraps: p.to.map((k) => wrapKey(p.dataKey, k)),
  }
  await relay.append(taskSlot('input', p.scope, p.taskId), box)
}

/**
 * Opens the task's input with our key pair (or a known data key) and checks
 * it against the on-chain inputHash; undefined while nothing opens yet.
 */
export async function openSealedInput(
  relay: RelayClient,
  p: {
    scope: TaskScope
    taskId: bigint
    inputHash: Hex
    key: X25519KeyPair | Uint8Array
  },
): Promise<{ input: Hex; dataKey: Uint8Array } | undefined> {
  for (const entry of await relay.list(taskSlot('input', p.scope, p.taskId))) {
    try {
      const box = entry as Box
      const dataKey =
        p.key instanceof Uint8Array ? p.key : unwrapFrom(box.wraps, p.key)
      const input = bytesToHex(
        open(dataKey, box.payload, aad(p.scope, p.taskId, 'input')),
      )
      if (keccak256(input) === p.inputHash) return { input, dataKey }
    } catch {}
  }
  return undefined
}

/** Seals an output envelope to its readers; returns the blob URI. */
export async function putSealedOutput(
  relay: RelayClient,
  p: { scope: TaskScope; taskId: bigint; output: Hex; to: Hex[] },
): Promise<{ uri: string; dataKey: Uint8Array }> {
  const dataKey = randomDataKey()
  const box: Box = {
    v: 1,
    payload: seal(
      dataKey,
      hexToBytes(p.output),
      aad(p.scope, p.taskId, 'output'),
    ),
    wraps: p.to.map((k) => wrapKey(dataKey, k)),
  }
  const uri = await relay.putBlob(new TextEncoder().encode(JSON.stringify(box)))
  return { uri, dataKey }
}

export async function openSealedOutput(
  relay: RelayClient,
  p: {
    scope: TaskScope
    taskId: bigint
    uri: string
    key: X25519KeyPair | Uint8Array
  },
): Promise<{ output: Hex; dataKey: Uint8Array }> {
  const bytes = await relay.getBlob(p.uri)
  let box: Box
  try {
    box = JSON.parse(new TextDecoder().decode(bytes)) as Box
  } catch (cause) {
    throw new PrivacyError('Sealed output is not a sealed box.', { cause })
  }
  const dataKey =
    p.key instanceof Uint8Array ? p.key : unwrapFrom(box.wraps, p.key)
  const output = bytesToHex(
    open(dataKey, box.payload, aad(p.scope, p.taskId, 'output')),
  )
  return { output, dataKey }
}

/** Wraps both data keys to each drawn juror's announced key. */
export async function revealToJurors(
  relay: RelayClient,
  p: {
    scope: TaskScope
    taskId: bigint
    keys: Required<TaskKeys>
    jurors: readonly Address[]
    /** Post nothing unless more than this many jurors can be reached. */
    already?: number
  },
): Promise<number> {
  const both = new Uint8Array([...p.keys.input, ...p.keys.output])
  const wraps: WrappedKey[] = []
  for (const j of p.jurors) {
    try {
      wraps.push(wrapKey(both, await lookupKey(relay, p.scope.chainId, j)))
    } catch {}
  }
  if (wraps.length > (p.already ?? 0))
    await relay.append(taskSlot('reveal', p.scope, p.taskId), { wraps })
  return wraps.length
}

/** A juror's view: both data keys if someone revealed them to us. */
export async function openReveal(
  relay: RelayClient,
  p: { scope: TaskScope; taskId: bigint; key: X25519KeyPair },
): Promise<Required<TaskKeys> | undefined> {
  for (const entry of await relay.list(taskSlot('reveal', p.scope, p.taskId))) {
    try {
      const both = unwrapFrom((entry as { wraps: WrappedKey[] }).wraps, p.key)
      if (both.length === 64)
        return { input: both.slice(0, 32), output: both.slice(32) }
    } catch {}
  }
  return undefined
}

export const encodeKeys = (k: Required<TaskKeys>) =>
  JSON.stringify({ input: bytesToHex(k.input), output: bytesToHex(k.output) })
export const decodeKeys = (s: string): Required<TaskKeys> => {
  const j = JSON.parse(s) as { input: Hex; output: Hex }
  return { input: hexToBytes(j.input), output: hexToBytes(j.output) }
}
