// The node's operation log: every bid, run, commit, finalize, claim and
// reveal the daemon makes, appended to its SQLite DB as a hash chain. Each
// entry holds the previous entry's hash and is signed by the node's key
// (EIP-191 over the entry hash), so `pocket node log verify` detects an
// entry removed from the middle (sequence gap, broken link), an edited one
// (hash mismatch) and one re-hashed without the key (signature).
import type { DatabaseSync } from 'node:sqlite'
import {
  type Address,
  type Hex,
  isAddressEqual,
  keccak256,
  recoverMessageAddress,
  stringToHex,
} from 'viem'

export type OpKind = 'bid' | 'run' | 'commit' | 'finalize' | 'claim' | 'reveal'

export type OpEntry = {
  seq: number
  ts: number
  kind: OpKind
  taskId: string
  data: Record<string, string>
  prev: Hex
  signer: Address
  hash: Hex
  signature: Hex
}

export type OpSigner = {
  address: Address
  signMessage: (p: { message: { raw: Hex } }) => Promise<Hex>
}

const GENESIS = `0x${'0'.repeat(64)}` as Hex

const SCHEMA = `create table if not exists oplog (seq integer primary key,
  ts integer not null, kind text not null, task_id text not null,
  data text not null, prev text not null, signer text not null,
  hash text not null, signature text not null)`

/** The hash an entry is signed under: every field but hash and signature. */
export function hashOpEntry(e: Omit<OpEntry, 'hash' | 'signature'>): Hex {
  const body = [e.seq, e.ts, e.kind, e.taskId, e.data, e.prev, e.signer]
  return keccak256(stringToHex(JSON.stringify(body)))
}

export class OpLog {
  #db: DatabaseSync
  #signer: OpSigner
  #tail: Promise<unknown> = Promise.resolve()

  constructor(db: DatabaseSync, signer: OpSigner) {
    this.#db = db
    this.#signer = signer
    db.exec(SCHEMA)
  }

  /** Appends one entry (appends are serialized: the chain never forks). */
  append(
    kind: OpKind,
    taskId: bigint | string,
    data: Record<string, string | bigint | number | undefined> = {},
  ): Promise<OpEntry> {
    const next = this.#tail.then(async () => {
      const last = this.#db
        .prepare('select seq, hash from oplog order by seq desc limit 1')
        .get() as { seq: number; hash: Hex } | undefined
      const clean = Object.fromEntries(
        Object.entries(data)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, String(v)]),
      )
      const body = {
        seq: (last?.seq ?? 0) + 1,
        ts: Date.now(),
        kind,
        taskId: String(taskId),
        data: clean,
        prev: last?.hash ?? GENESIS,
        signer: this.#signer.address,
      }
      const hash = hashOpEntry(body)
      const signature = await this.#signer.signMessage({
        message: { raw: hash },
      })
      this.#db
        .prepare(
          'insert into oplog (seq, ts, kind, task_id, data, prev, signer, hash, signature) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          body.seq,
          body.ts,
          kind,
          body.taskId,
          JSON.stringify(clean),
          body.prev,
          body.signer,
          hash,
          signature,
        )
      return { ...body, hash, signature }
    })
    this.#tail = next.catch(() => {})
    return next
  }
}

/** Every entry of the log in a DB, in sequence order. */
export function readOpLog(db: DatabaseSync): OpEntry[] {
  db.exec(SCHEMA)
  const rows = db
    .prepare(
      'select seq, ts, kind, task_id, data, prev, signer, hash, signature from oplog order by seq',
    )
    .all() as Record<string, string | number>[]
  return rows.map((r) => ({
    seq: Number(r.seq),
    ts: Number(r.ts),
    kind: r.kind as OpKind,
    taskId: String(r.task_id),
    data: JSON.parse(String(r.data)) as Record<string, string>,
    prev: r.prev as Hex,
    signer: r.signer as Address,
    hash: r.hash as Hex,
    signature: r.signature as Hex,
  }))
}

export type OpLogProblem = { seq: number; problem: string }

export type VerifyOpLogReturnType = {
  ok: boolean
  entries: number
  signer?: Address
  head?: Hex
  problems: OpLogProblem[]
}

/**
 * Checks sequence, links, hashes and signatures; all entries must be signed
 * by one key (`signer` when given, else the first entry's).
 */
export async function verifyOpLog(
  entries: readonly OpEntry[],
  signer?: Address,
): Promise<VerifyOpLogReturnType> {
  const problems: OpLogProblem[] = []
  const who = signer ?? entries[0]?.signer
  let prev = GENESIS
  let seq = 0
  for (const e of entries) {
    seq++
    if (e.seq !== seq) {
      problems.push({
        seq: e.seq,
        problem: `expected entry ${seq}: ${e.seq - seq} entr${e.seq - seq === 1 ? 'y' : 'ies'} removed before it`,
      })
      seq = e.seq
    }
    if (e.prev !== prev)
      problems.push({
        seq: e.seq,
        problem:
          'previous-hash link broken (an entry before it was removed or edited)',
      })
    if (hashOpEntry(e) !== e.hash)
      problems.push({
        seq: e.seq,
        problem: 'entry edited: hash does not match its fields',
      })
    let recovered: Address | undefined
    try {
      recovered = await recoverMessageAddress({
        message: { raw: e.hash },
        signature: e.signature,
      })
    } catch {}
    if (
      !recovered ||
      !who ||
      !isAddressEqual(recovered, who) ||
      !isAddressEqual(e.signer, who)
    )
      problems.push({ seq: e.seq, problem: `signature is not ${who}'s` })
    prev = e.hash
  }
  return {
    ok: problems.length === 0,
    entries: entries.length,
    signer: who,
    head: entries.at(-1)?.hash,
    problems,
  }
}
