// Node, auditor and juror side of private tasks (src/privacy/sealedTask.ts):
// our X25519 key (derived from the chain account, announced on each relay a
// task names), opening a task's input, sealing its output, revealing both
// data keys to the drawn jurors on a challenge, and opening a committed task
// for an audit with an auditor's grant or a juror's reveal.
import type { Address, Hex } from 'viem'
import { taskMarketAbi } from '../src/chain/abis.ts'
import type { Deployment } from '../src/chain/deployment.ts'
import type { ChainClients } from '../src/chain/getContracts.ts'
import {
  announceKey,
  deriveEncryptionKey,
  type MessageSigner,
} from '../src/privacy/encryptionKey.ts'
import {
  createRelayClient,
  type RelayClient,
} from '../src/privacy/relayClient.ts'
import type { X25519KeyPair } from '../src/privacy/sealedBox.ts'
import {
  decodeKeys,
  encodeKeys,
  keySlot,
  lookupKey,
  openReveal,
  openSealedInput,
  openSealedOutput,
  parseSealedDescriptor,
  putSealedOutput,
  revealToJurors,
  type SealedDescriptor,
  type TaskKeys,
  type TaskScope,
} from '../src/privacy/sealedTask.ts'
import type { NodeStore } from './store.ts'
import type { PostedEvent } from './taskEvents.ts'

export type PrivateContext = {
  clients: ChainClients
  deployment: Pick<Deployment, 'addresses' | 'chainId'>
}

const keys = new WeakMap<object, Promise<X25519KeyPair>>()
const announced = new Set<string>()

export const scopeOf = (d: PrivateContext['deployment']): TaskScope => ({
  chainId: d.chainId,
  market: d.addresses.TaskMarket,
})

/** Our encryption key (derived once per account object). */
export function encryptionKeyOf(ctx: PrivateContext): Promise<X25519KeyPair> {
  const account = ctx.clients.wallet.account as unknown as MessageSigner
  let k = keys.get(account)
  if (!k) {
    k = deriveEncryptionKey(account)
    keys.set(account, k)
  }
  return k
}

/** The task's descriptor when it is private (with its relay's client). */
export function sealedOf(
  task: Pick<PostedEvent, 'input'>,
): { d: SealedDescriptor; relay: RelayClient } | undefined {
  const d = parseSealedDescriptor(task.input)
  return d && { d, relay: createRelayClient(d.relay) }
}

/** Announces our key on a relay once (idempotent across restarts). */
export async function announceOn(
  ctx: PrivateContext,
  relay: RelayClient,
): Promise<Hex> {
  const me = await encryptionKeyOf(ctx)
  const tag = `${relay.url}|${ctx.clients.wallet.account.address}|${ctx.deployment.chainId}`
  if (announced.has(tag)) return me.publicKey
  const chainId = ctx.deployment.chainId
  const address = ctx.clients.wallet.account.address
  const current = await lookupKey(relay, chainId, address).catch(
    () => undefined,
  )
  if (current !== me.publicKey) {
    const account = ctx.clients.wallet.account as unknown as MessageSigner
    await relay.append(
      keySlot(chainId, address),
      await announceKey(account, chainId, me),
    )
  }
  announced.add(tag)
  return me.publicKey
}

/** The task with its plaintext input, once the requester has sealed it to us. */
export async function openTaskInput(
  ctx: PrivateContext,
  task: PostedEvent,
): Promise<{ task: PostedEvent; inputKey: Uint8Array } | undefined> {
  const s = sealedOf(task)
  if (!s) return { task, inputKey: new Uint8Array() }
  const opened = await openSealedInput(s.relay, {
    scope: scopeOf(ctx.deployment),
    taskId: task.taskId,
    inputHash: task.inputHash,
    key: await encryptionKeyOf(ctx),
  })
  return (
    opened && {
      task: { ...task, input: opened.input },
      inputKey: opened.dataKey,
    }
  )
}

/** Jurors drawn for a task's challenge (from its TaskChallenged event). */
export async function jurorsOf(
  ctx: PrivateContext & { deployment: { startBlock: number } },
  taskId: bigint,
): Promise<readonly Address[]> {
  const logs = await ctx.clients.public.getContractEvents({
    address: ctx.deployment.addresses.TaskMarket,
    abi: taskMarketAbi,
    eventName: 'TaskChallenged',
    args: { taskId },
    fromBlock: BigInt(ctx.deployment.startBlock),
  })
  return (logs.at(-1)?.args.jurors as readonly Address[] | undefined) ?? []
}

/**
 * Opens a committed private task for an audit: with our own grant (we are
 * an appointed auditor) or a reveal to us (we are a drawn juror).
 * Returns undefined when nothing opens (yet).
 */
export async function openForAudit<
  T extends Pick<PostedEvent, 'taskId' | 'input' | 'inputHash'>,
  C extends { output: Hex; outputURI: string },
>(
  ctx: PrivateContext,
  task: T,
  committed: C,
  as: 'auditor' | 'juror',
): Promise<{ task: T; committed: C; keys: Required<TaskKeys> } | undefined> {
  const s = sealedOf(task)
  if (!s) return undefined
  const me = await encryptionKeyOf(ctx)
  const scope = scopeOf(ctx.deployment)
  const revealed =
    as === 'juror'
      ? await openReveal(s.relay, { scope, taskId: task.taskId, key: me })
      : undefined
  if (as === 'juror' && !revealed) return undefined
  try {
    const input = await openSealedInput(s.relay, {
      scope,
      taskId: task.taskId,
      inputHash: task.inputHash,
      key: revealed?.input ?? me,
    })
    if (!input) return undefined
    const output = await openSealedOutput(s.relay, {
      scope,
      taskId: task.taskId,
      uri: committed.outputURI,
      key: revealed?.output ?? me,
    })
    return {
      task: { ...task, input: input.input },
      committed: { ...committed, output: output.output },
      keys: { input: input.dataKey, output: output.dataKey },
    }
  } catch {
    return undefined
  }
}

/**
 * A private task's output, sealed to the requester and its auditors, as a
 * relay URI; made once, so a restart or a reorg re-commits the same URI.
 * The data keys are kept (`sealed-keys:<task>`) for a reveal to jurors.
 */
export async function sealOutputOnce(
  ctx: PrivateContext & { store: NodeStore },
  task: PostedEvent,
  output: Hex,
): Promise<string | undefined> {
  const s = sealedOf(task)
  if (!s) return undefined
  const { store } = ctx
  const saved = store.get(`sealed-out:${task.taskId}`)
  if (saved) return (JSON.parse(saved) as { uri: string }).uri
  const { uri, dataKey } = await putSealedOutput(s.relay, {
    scope: scopeOf(ctx.deployment),
    taskId: task.taskId,
    output,
    to: [s.d.requesterKey, ...s.d.auditorKeys],
  })
  const keys = decodeKeys(store.get(`sealed-keys:${task.taskId}`) ?? '')
  store.set(
    `sealed-keys:${task.taskId}`,
    encodeKeys({ input: keys.input, output: dataKey }),
  )
  store.set(`sealed-out:${task.taskId}`, JSON.stringify({ uri }))
  return uri
}

/**
 * Reveals a challenged private task's data keys (`sealed-keys:<task>`) to
 * its drawn jurors. Retried each tick until every juror has an announced
 * key; returns the juror count when it grew, else undefined.
 */
export async function revealOnce(
  ctx: PrivateContext & {
    store: NodeStore
    deployment: { startBlock: number }
  },
  taskId: bigint,
  relayUrl: string,
): Promise<number | undefined> {
  const { store } = ctx
  const keys = store.get(`sealed-keys:${taskId}`)
  if (!keys) return undefined
  const already = Number(store.get(`revealed:${taskId}`) ?? 0)
  const jurors = await jurorsOf(ctx, taskId)
  if (already >= jurors.length) return undefined
  const n = await revealToJurors(createRelayClient(relayUrl), {
    scope: scopeOf(ctx.deployment),
    taskId,
    keys: decodeKeys(keys),
    jurors,
    already,
  })
  if (n <= already) return undefined
  store.set(`revealed:${taskId}`, String(n))
  return n
}
