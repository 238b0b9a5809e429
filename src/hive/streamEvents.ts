// The event stream a serving member sends back for one hive generation:
// newline-delimited JSON, each line {seq, event, sig} where sig is the
// device's Ed25519 signature over sha256("pocket-hive-event/1\n" + request
// nonce + "\n" + seq + "\n" + canonical JSON of the event). Binding the
// request nonce and the sequence number means events can be neither forged,
// replayed into another stream, reordered nor dropped unnoticed.
import type { ChatOutputParserOptions } from '../engine/reasoning/chatOutputParser.ts'
import type {
  GenerationStats,
  ModelInfo,
  TokenLogprob,
} from '../engine/types.ts'
import type { LocalModel } from '../models/types.ts'
import type { SignedContribution } from './contributionReceipt.ts'
import {
  canonicalJson,
  fromBase64url,
  sha256,
  toBase64url,
} from './encoding.ts'
import { HiveAuthError } from './errors.ts'
import { sign, verify } from './keys.ts'

export type HiveEvent =
  | {
      type: 'start'
      identifier: string
      info: ModelInfo
      local: LocalModel
      output: ChatOutputParserOptions
    }
  | {
      type: 'chunk'
      text: string
      tokens: number[]
      logprobs?: TokenLogprob[]
    }
  | {
      type: 'done'
      stats: GenerationStats
      receipt: SignedContribution
      /** Prompt token ids, when the request asked (redundancy audits). */
      promptTokens?: number[]
    }
  | {
      type: 'error'
      status: number
      body: {
        error: {
          message: string
          type: string
          param: string | null
          code: string | null
        }
      }
    }

function digest(nonce: string, seq: number, event: HiveEvent): Uint8Array {
  return sha256(
    `pocket-hive-event/1\n${nonce}\n${seq}\n${canonicalJson(event)}`,
  )
}

export function encodeEvent(
  event: HiveEvent,
  seq: number,
  nonce: string,
  secretKey: Uint8Array,
): string {
  // Round-trip first so what is signed is exactly what the reader parses.
  const plain = JSON.parse(JSON.stringify(event)) as HiveEvent
  const sig = toBase64url(sign(digest(nonce, seq, plain), secretKey))
  return `${JSON.stringify({ seq, event: plain, sig })}\n`
}

export function decodeEvent(
  line: string,
  expectedSeq: number,
  nonce: string,
  publicKey: Uint8Array,
): HiveEvent {
  let parsed: { seq: number; event: HiveEvent; sig: string }
  try {
    parsed = JSON.parse(line)
  } catch {
    throw new HiveAuthError('Malformed hive event line.')
  }
  if (parsed.seq !== expectedSeq)
    throw new HiveAuthError(
      `Hive event out of order (got ${parsed.seq}, expected ${expectedSeq}).`,
    )
  let sig: Uint8Array
  try {
    sig = fromBase64url(parsed.sig)
  } catch {
    throw new HiveAuthError('Malformed hive event signature.')
  }
  if (!verify(sig, digest(nonce, parsed.seq, parsed.event), publicKey))
    throw new HiveAuthError('A hive event signature does not verify.')
  return parsed.event
}
