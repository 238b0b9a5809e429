// A participant's X25519 encryption key, derived from its chain account (a
// deterministic RFC 6979 signature over a fixed message, hashed), so the
// keystore stays the only secret; and the signed announcement that binds
// the public key to the account's address, published on the relay.
import { createHash } from 'node:crypto'
import {
  type Address,
  type Hex,
  hexToBytes,
  isAddressEqual,
  recoverMessageAddress,
} from 'viem'
import { KeyAnnouncementError } from './errors.ts'
import { type X25519KeyPair, x25519KeyPair } from './sealedBox.ts'

/** What we need of an account: viem's local accounts have it. */
export type MessageSigner = {
  address: Address
  signMessage: (p: { message: string }) => Promise<Hex>
}

export type KeyAnnouncement = {
  address: Address
  chainId: number
  publicKey: Hex
  signature: Hex
}

const DERIVE_MESSAGE = 'pocket/x25519/v1: derive my encryption key'
const announceMessage = (chainId: number, publicKey: Hex) =>
  `pocket/x25519/v1: my encryption key on chain ${chainId} is ${publicKey.toLowerCase()}`

export async function deriveEncryptionKey(
  account: MessageSigner,
): Promise<X25519KeyPair> {
  const sig = await account.signMessage({ message: DERIVE_MESSAGE })
  const seed = createHash('sha256')
    .update(hexToBytes(sig))
    .update('pocket/x25519/v1')
    .digest()
  return x25519KeyPair(new Uint8Array(seed))
}

export async function announceKey(
  account: MessageSigner,
  chainId: number,
  key: Pick<X25519KeyPair, 'publicKey'>,
): Promise<KeyAnnouncement> {
  return {
    address: account.address,
    chainId,
    publicKey: key.publicKey,
    signature: await account.signMessage({
      message: announceMessage(chainId, key.publicKey),
    }),
  }
}

/** Throws KeyAnnouncementError unless `a` is signed by `a.address` for `chainId`. */
export async function verifyKeyAnnouncement(
  a: KeyAnnouncement,
  chainId: number,
): Promise<KeyAnnouncement> {
  if (a.chainId !== chainId || !/^0x[0-9a-f]{64}$/.test(a.publicKey))
    throw new KeyAnnouncementError('Key announcement is for another chain.')
  let signer: Address
  try {
    signer = await recoverMessageAddress({
      message: announceMessage(chainId, a.publicKey),
      signature: a.signature,
    })
  } catch (cause) {
    throw new KeyAnnouncementError('Key announcement signature is malformed.', {
      cause,
    })
  }
  if (!isAddressEqual(signer, a.address))
    throw new KeyAnnouncementError(
      `Key announcement for ${a.address} is signed by ${signer}.`,
    )
  return a
}
