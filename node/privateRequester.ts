// Requester SDK for private tasks (src/privacy/sealedTask.ts): post a task
// whose chain record holds only the input's hash and a descriptor, seal the
// input to the node once it is assigned (and to the auditors the requester
// appointed, their decryption grant), and open and check the sealed output.
import { randomBytes } from 'node:crypto'
import {
  type Address,
  bytesToHex,
  type Hex,
  keccak256,
  stringToHex,
} from 'viem'
import type { Deployment } from '../src/chain/deployment.ts'
import type { ChainClients } from '../src/chain/getContracts.ts'
import { getTask } from '../src/chain/getTask.ts'
import { postTask } from '../src/chain/postTask.ts'
import {
  deriveEncryptionKey,
  type MessageSigner,
} from '../src/privacy/encryptionKey.ts'
import { PrivacyError } from '../src/privacy/errors.ts'
import { createRelayClient } from '../src/privacy/relayClient.ts'
import { randomDataKey } from '../src/privacy/sealedBox.ts'
import {
  encodeSealedDescriptor,
  lookupKey,
  openSealedInput,
  openSealedOutput,
  parseSealedDescriptor,
  postSealedInput,
} from '../src/privacy/sealedTask.ts'
import { encodeSampling } from '../src/receipts/index.ts'
import {
  checkTaskResult,
  type PostInferenceTaskParameters,
  type TaskResult,
} from './requester.ts'
import { committedTasks, postedTask } from './taskEvents.ts'

type Dep = Pick<Deployment, 'addresses' | 'startBlock' | 'chainId'>

export type PostPrivateTaskParameters = PostInferenceTaskParameters & {
  /** Payload relay URL (src/privacy/startRelay.ts). */
  relay: string
  /** Auditors granted decryption (their keys must be on the relay). */
  auditors?: Address[]
}

/** What the requester keeps to seal the input later (the input's data key). */
export type PrivateTaskSecret = {
  relay: string
  input: Hex
  inputKey: Hex
  auditorKeys: Hex[]
}

const account = (c: ChainClients) =>
  c.wallet.account as unknown as MessageSigner

export async function postPrivateTask(
  clients: ChainClients,
  deployment: Dep,
  p: PostPrivateTaskParameters,
): Promise<{ taskId: bigint; seed: bigint; secret: PrivateTaskSecret }> {
  const relay = createRelayClient(p.relay)
  const auditorKeys: Hex[] = []
  for (const a of p.auditors ?? [])
    auditorKeys.push(await lookupKey(relay, deployment.chainId, a))
  const me = await deriveEncryptionKey(account(clients))
  // the nonce makes the on-chain hash of a guessable prompt unguessable
  const input = stringToHex(
    JSON.stringify({ ...p.input, nonce: bytesToHex(randomBytes(16)) }),
  )
  const seed = p.seed ?? (randomBytes(8).readBigUInt64BE() % 2n ** 52n) + 1n
  const block = await clients.public.getBlock({ blockTag: 'latest' })
  const { taskId } = await postTask(clients, {
    addresses: deployment.addresses,
    modelDigest: p.modelDigest,
    inputHash: keccak256(input),
    input: encodeSealedDescriptor({
      relay: relay.url,
      requesterKey: me.publicKey,
      auditorKeys,
    }),
    samplingParams: encodeSampling(p.sampling ?? {}),
    seed,
    maxPrice: p.maxPrice,
    bidDeadline: block.timestamp + BigInt(p.bidWindow ?? 300),
    execWindow: p.execWindow ?? 600,
  })
  return {
    taskId,
    seed,
    secret: {
      relay: relay.url,
      input,
      inputKey: bytesToHex(randomDataKey()),
      auditorKeys,
    },
  }
}

/** Seals the input to the assigned node (and the appointed auditors). */
export async function sendPrivateInput(
  clients: ChainClients,
  deployment: Dep,
  p: { taskId: bigint; secret: PrivateTaskSecret },
): Promise<void> {
  const t = await getTask(clients, {
    addresses: deployment.addresses,
    taskId: p.taskId,
  })
  if (!t.assignedNode)
    throw new PrivacyError(`Task ${p.taskId} is not assigned yet.`)
  const relay = createRelayClient(p.secret.relay)
  const nodeKey = await lookupKey(relay, deployment.chainId, t.assignedNode)
  const me = await deriveEncryptionKey(account(clients))
  await postSealedInput(relay, {
    scope: {
      chainId: deployment.chainId,
      market: deployment.addresses.TaskMarket,
    },
    taskId: p.taskId,
    input: p.secret.input,
    dataKey: Uint8Array.from(Buffer.from(p.secret.inputKey.slice(2), 'hex')),
    // the requester keeps a wrap too: it reopens the input from the relay
    to: [nodeKey, me.publicKey, ...p.secret.auditorKeys],
  })
}

/** Opens the sealed output with the requester's key and checks the receipt. */
export async function getPrivateTaskResult(
  clients: ChainClients,
  deployment: Dep,
  p: { taskId: bigint; secret?: Pick<PrivateTaskSecret, 'input'> },
): Promise<TaskResult> {
  const t = await getTask(clients, {
    addresses: deployment.addresses,
    taskId: p.taskId,
  })
  const [c] = await committedTasks(clients, deployment, { taskId: p.taskId })
  const posted = await postedTask(clients, deployment, p.taskId)
  if (!c || !posted) return { state: t.state }
  const d = parseSealedDescriptor(posted.input)
  if (!d) throw new PrivacyError(`Task ${p.taskId} is not a private task.`)
  const relay = createRelayClient(d.relay)
  const scope = {
    chainId: deployment.chainId,
    market: deployment.addresses.TaskMarket,
  }
  const me = await deriveEncryptionKey(account(clients))
  const input =
    p.secret?.input ??
    (
      await openSealedInput(relay, {
        scope,
        taskId: p.taskId,
        inputHash: posted.inputHash,
        key: me,
      })
    )?.input
  if (!input)
    throw new PrivacyError(`Task ${p.taskId}: its sealed input is not found.`)
  const { output } = await openSealedOutput(relay, {
    scope,
    taskId: p.taskId,
    uri: c.outputURI,
    key: me,
  })
  return checkTaskResult(
    deployment,
    t.state,
    { ...posted, input },
    { ...c, output },
  )
}
