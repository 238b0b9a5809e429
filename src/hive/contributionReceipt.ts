// Contribution receipts: the serving device states what it did (model
// digest, token counts, hashes of the request and of the output tokens,
// time) and signs the receipt hash; the requesting member checks the output
// it received against the receipt and countersigns. A receipt with both
// signatures is what the ledger pays for.
import type { DeviceCertificate } from './certificate.ts'
import {
  canonicalJson,
  fromBase64url,
  fromHex,
  sha256Hex,
  toBase64url,
} from './encoding.ts'
import { HiveFormatError } from './errors.ts'
import { sign, verify } from './keys.ts'

export type ContributionReceipt = {
  v: 1
  hive: string
  /** The serving device. */
  device: string
  /** The member that asked. */
  requester: string
  model: string
  /** sha256 manifest digest of the weights (receipts/modelDigest.ts), 0x-hex. */
  modelDigest: string
  /** sha256 hex of the canonical JSON of the request the device ran. */
  requestHash: string
  /** sha256 hex of the output token ids as int32 little-endian. */
  outputHash: string
  promptTokens: number
  completionTokens: number
  /** Unix milliseconds when the device finished. */
  time: number
}

export type SignedContribution = {
  receipt: ContributionReceipt
  /** sha256 hex of the canonical JSON of `receipt`. */
  hash: string
  deviceSig: string
  requesterSig?: string
  deviceCert: DeviceCertificate
  requesterCert?: DeviceCertificate
}

export function outputHashOf(tokens: number[]): string {
  const bytes = new Uint8Array(tokens.length * 4)
  const view = new DataView(bytes.buffer)
  for (const [i, t] of tokens.entries()) view.setInt32(i * 4, t, true)
  return sha256Hex(bytes)
}

export function requestHashOf(request: unknown): string {
  return sha256Hex(canonicalJson(request))
}

export function receiptHash(receipt: ContributionReceipt): string {
  return sha256Hex(canonicalJson(receipt))
}

export function signContribution(
  receipt: ContributionReceipt,
  device: { cert: DeviceCertificate; secretKey: Uint8Array },
): SignedContribution {
  const hash = receiptHash(receipt)
  return {
    receipt,
    hash,
    deviceSig: toBase64url(sign(fromHex(hash), device.secretKey)),
    deviceCert: device.cert,
  }
}

export function countersign(
  signed: SignedContribution,
  requester: { cert: DeviceCertificate; secretKey: Uint8Array },
): SignedContribution {
  return {
    ...signed,
    requesterSig: toBase64url(sign(fromHex(signed.hash), requester.secretKey)),
    requesterCert: requester.cert,
  }
}

function checkSig(sig: string, hash: string, key: string): boolean {
  try {
    return verify(fromBase64url(sig), fromHex(hash), fromBase64url(key))
  } catch {
    return false
  }
}

/**
 * Checks the hash and both signatures against the certificates the receipt
 * carries (their hive signatures are checked by the caller with
 * verifyCertificate). `requireCountersign` for ledger entries.
 */
export function verifyContribution(
  s: SignedContribution,
  requireCountersign: boolean,
): void {
  const r = s.receipt
  if (r?.v !== 1) throw new HiveFormatError('Malformed receipt.')
  if (receiptHash(r) !== s.hash)
    throw new HiveFormatError('The receipt hash does not match its body.')
  if (s.deviceCert?.device !== r.device)
    throw new HiveFormatError('The device certificate names another device.')
  if (!checkSig(s.deviceSig, s.hash, s.deviceCert.key))
    throw new HiveFormatError('The device signature does not verify.')
  if (!requireCountersign) return
  if (!s.requesterSig || s.requesterCert?.device !== r.requester)
    throw new HiveFormatError('The receipt is not countersigned.')
  if (!checkSig(s.requesterSig, s.hash, s.requesterCert.key))
    throw new HiveFormatError('The requester signature does not verify.')
}
