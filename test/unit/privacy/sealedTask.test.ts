// Private payload primitives: sealed boxes open only with the right key and
// associated data, key announcements bind a key to its signer, the relay
// stores content-addressed blobs and append-only slots and answers bad
// requests with 4xx, and readers skip forged entries.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Hex, keccak256, stringToBytes, stringToHex, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, describe, expect, it } from 'vitest'
import {
  announceKey,
  deriveEncryptionKey,
  verifyKeyAnnouncement,
} from '../../../src/privacy/encryptionKey.ts'
import {
  DecryptionError,
  KeyAnnouncementError,
  RelayError,
} from '../../../src/privacy/errors.ts'
import { createRelayClient } from '../../../src/privacy/relayClient.ts'
import {
  open,
  randomDataKey,
  seal,
  unwrapFrom,
  wrapKey,
} from '../../../src/privacy/sealedBox.ts'
import {
  keySlot,
  lookupKey,
  openSealedInput,
  postSealedInput,
} from '../../../src/privacy/sealedTask.ts'
import { startRelay } from '../../../src/privacy/startRelay.ts'

const dir = mkdtempSync(join(tmpdir(), 'pocket-sealed-'))
const alice = privateKeyToAccount(keccak256(toHex('alice')))
const bob = privateKeyToAccount(keccak256(toHex('bob')))
const scope = { chainId: 31337, market: alice.address }
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('sealed boxes', () => {
  it('open with the right key and associated data only', async () => {
    const a = await deriveEncryptionKey(alice)
    const b = await deriveEncryptionKey(bob)
    // derivation is deterministic: the keystore stays the only secret
    expect((await deriveEncryptionKey(alice)).publicKey).toBe(a.publicKey)
    const key = randomDataKey()
    const box = seal(key, stringToBytes('the prompt'), 'task 1 input')
    const wraps = [wrapKey(key, a.publicKey)]
    const opened = open(unwrapFrom(wraps, a), box, 'task 1 input')
    expect(new TextDecoder().decode(opened)).toBe('the prompt')
    expect(() => unwrapFrom(wraps, b)).toThrow(DecryptionError)
    expect(() => open(key, box, 'task 2 input')).toThrow(DecryptionError)
    const last = (Number.parseInt(box.ct.slice(-2), 16) ^ 1)
      .toString(16)
      .padStart(2, '0')
    const flipped = { ...box, ct: `${box.ct.slice(0, -2)}${last}` as Hex }
    expect(() => open(key, flipped, 'task 1 input')).toThrow(DecryptionError)
  })

  it('binds an announced key to its signer and chain', async () => {
    const a = await deriveEncryptionKey(alice)
    const ann = await announceKey(alice, 31337, a)
    await expect(verifyKeyAnnouncement(ann, 31337)).resolves.toEqual(ann)
    await expect(
      verifyKeyAnnouncement({ ...ann, address: bob.address }, 31337),
    ).rejects.toBeInstanceOf(KeyAnnouncementError)
    await expect(verifyKeyAnnouncement(ann, 1)).rejects.toBeInstanceOf(
      KeyAnnouncementError,
    )
  })
})

describe('payload relay', () => {
  it('serves blobs by hash, skips forged slot entries and refuses bad requests', async () => {
    const relayDir = join(dir, 'relay')
    let relay = await startRelay({ dir: relayDir, maxBytes: 4096 })
    let rc = createRelayClient(relay.url)
    const uri = await rc.putBlob(stringToBytes('ciphertext'))
    expect(new TextDecoder().decode(await rc.getBlob(uri))).toBe('ciphertext')

    // a forged announcement for alice (signed by bob) is skipped
    const a = await deriveEncryptionKey(alice)
    const b = await deriveEncryptionKey(bob)
    await rc.append(keySlot(31337, alice.address), {
      ...(await announceKey(bob, 31337, b)),
      address: alice.address,
    })
    await rc.append(
      keySlot(31337, alice.address),
      await announceKey(alice, 31337, a),
    )
    expect(await lookupKey(rc, 31337, alice.address)).toBe(a.publicKey)

    // an input entry that does not match the on-chain hash is skipped
    const input = stringToHex('{"prompt":"real","nonce":"0x01"}')
    const key = randomDataKey()
    const to = [a.publicKey]
    await postSealedInput(rc, {
      scope,
      taskId: 7n,
      input: stringToHex('{"prompt":"fake"}'),
      dataKey: key,
      to,
    })
    await postSealedInput(rc, { scope, taskId: 7n, input, dataKey: key, to })
    const got = await openSealedInput(rc, {
      scope,
      taskId: 7n,
      inputHash: keccak256(input),
      key: a,
    })
    expect(got?.input).toBe(input)
    expect(
      await openSealedInput(rc, {
        scope,
        taskId: 7n,
        inputHash: keccak256(input),
        key: b,
      }),
    ).toBeUndefined()

    // 4xx with an OpenAI-shaped body, never a crash
    const bad = await fetch(`${relay.url}/v1/blob/nothash`)
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe(
      'bad_hash',
    )
    expect(
      (
        await fetch(`${relay.url}/v1/slot/..%2Fescape`, {
          method: 'POST',
          body: '{}',
        })
      ).status,
    ).toBe(400)
    expect(
      (
        await fetch(`${relay.url}/v1/slot/x`, {
          method: 'POST',
          body: 'not json',
        })
      ).status,
    ).toBe(400)
    await expect(rc.putBlob(new Uint8Array(5000))).rejects.toBeInstanceOf(
      RelayError,
    )

    // persisted: a restarted relay still has it, and edited bytes are caught
    await relay.close()
    const hash = uri.split('/').at(-1) as string
    writeFileSync(join(relayDir, 'blob', hash), 'tampered')
    relay = await startRelay({ dir: relayDir })
    rc = createRelayClient(relay.url)
    expect(await lookupKey(rc, 31337, alice.address)).toBe(a.publicKey)
    await expect(
      rc.getBlob(`${relay.url}/v1/blob/${hash}`),
    ).rejects.toBeInstanceOf(RelayError)
    await relay.close()
  })
})
