// Encrypted keystore for the node key: scrypt (N=2^15, r=8, p=1) derives a
// 256-bit key from the password; AES-256-GCM encrypts the private key (the
// tag authenticates it, so a wrong password fails loudly). The file holds
// only salt, nonce, ciphertext, tag, KDF parameters and the address: never
// a plaintext key at rest.
import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  scryptSync,
} from 'node:crypto'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline/promises'
import { type Address, type Hex, isAddressEqual } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { KeystoreError } from './errors.ts'

export type KeystoreFile = {
  version: 1
  address: Address
  kdf: 'scrypt'
  kdfparams: { n: number; r: number; p: number; salt: Hex }
  cipher: 'aes-256-gcm'
  nonce: Hex
  ciphertext: Hex
  tag: Hex
}

const hex = (b: Buffer): Hex => `0x${b.toString('hex')}`
const buf = (h: Hex): Buffer => Buffer.from(h.slice(2), 'hex')

function deriveKey(password: string, k: KeystoreFile['kdfparams']): Buffer {
  return scryptSync(password.normalize('NFKC'), buf(k.salt), 32, {
    N: k.n,
    r: k.r,
    p: k.p,
    maxmem: 256 * k.n * k.r,
  })
}

export function encryptKey(
  privateKey: Hex,
  password: string,
  opts: { n?: number } = {},
): KeystoreFile {
  if (!password) throw new KeystoreError('The keystore password is empty.')
  const address = privateKeyToAccount(privateKey).address
  const kdfparams = {
    n: opts.n ?? 2 ** 15,
    r: 8,
    p: 1,
    salt: hex(randomBytes(32)),
  }
  const nonce = randomBytes(12)
  const cipher = createCipheriv(
    'aes-256-gcm',
    deriveKey(password, kdfparams),
    nonce,
  )
  cipher.setAAD(Buffer.from(address.toLowerCase()))
  const ciphertext = Buffer.concat([
    cipher.update(buf(privateKey)),
    cipher.final(),
  ])
  return {
    version: 1,
    address,
    kdf: 'scrypt',
    kdfparams,
    cipher: 'aes-256-gcm',
    nonce: hex(nonce),
    ciphertext: hex(ciphertext),
    tag: hex(cipher.getAuthTag()),
  }
}

export function decryptKey(file: KeystoreFile, password: string): Hex {
  if (
    file.version !== 1 ||
    file.kdf !== 'scrypt' ||
    file.cipher !== 'aes-256-gcm'
  )
    throw new KeystoreError('Unsupported keystore format.')
  let key: Hex
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      deriveKey(password, file.kdfparams),
      buf(file.nonce),
    )
    decipher.setAAD(Buffer.from(file.address.toLowerCase()))
    decipher.setAuthTag(buf(file.tag))
    key = hex(
      Buffer.concat([decipher.update(buf(file.ciphertext)), decipher.final()]),
    )
  } catch (cause) {
    throw new KeystoreError(
      'Wrong keystore password (or a corrupted keystore).',
      { cause },
    )
  }
  if (!isAddressEqual(privateKeyToAccount(key).address, file.address))
    throw new KeystoreError('Keystore address does not match its key.')
  return key
}

export async function writeKeystore(
  path: string,
  file: KeystoreFile,
): Promise<void> {
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 })
  await chmod(path, 0o600)
}

export async function readKeystore(path: string): Promise<KeystoreFile> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as KeystoreFile
  } catch (cause) {
    throw new KeystoreError(`Cannot read keystore "${path}".`, { cause })
  }
}

/** POCKET_KEYSTORE_PASSWORD, else an interactive prompt (never echoed to logs). */
export async function keystorePassword(
  prompt = 'Keystore password: ',
): Promise<string> {
  const env = process.env.POCKET_KEYSTORE_PASSWORD
  if (env) return env
  if (!process.stdin.isTTY)
    throw new KeystoreError('No keystore password.', {
      details: 'Set POCKET_KEYSTORE_PASSWORD or run in a terminal.',
    })
  const rl = createInterface({
    input: process.stdin,
    output: process.stderr,
    terminal: true,
  })
  try {
    return await rl.question(prompt)
  } finally {
    rl.close()
  }
}

/** Reads and decrypts a keystore file into a viem account. */
export async function unlockKeystore(path: string, password?: string) {
  const file = await readKeystore(path)
  return privateKeyToAccount(
    decryptKey(file, password ?? (await keystorePassword())),
  )
}
