// Durable daemon state in SQLite (node:sqlite, WAL). Every transaction the
// daemon sends is recorded as an intent first and reconciled with chain
// state afterwards, so a crash between "sent" and "recorded" never leads to
// a second submission, and a computed result or an owed payout is never lost.
//   tasks   one row per task seen: posted fields + local status
//   bids    our bid per task (intent -> sent -> confirmed | failed)
//   commits computed result per task (output, receipt hash) + its commit tx
//   claims  finalize/withdraw per task (intent -> sent -> confirmed)
//   votes   juror duty: salt and vote per challenged task
//   audits  auditor verdicts per committed task
//   meta    scan cursor (block number + hash, for reorg detection)
import { DatabaseSync } from 'node:sqlite'

export type TxStatus = 'intent' | 'sent' | 'confirmed' | 'failed'

export type TaskRow = {
  task_id: string
  status: string
  posted: string // JSON of the TaskPosted fields
  block: number
}

const SCHEMA = `
create table if not exists tasks (task_id text primary key, status text not null,
  posted text not null, block integer not null, updated_at integer not null);
create table if not exists bids (task_id text primary key, price text not null,
  status text not null, tx_hash text, updated_at integer not null);
create table if not exists commits (task_id text primary key, output text not null,
  receipt_hash text not null, output_hash text not null, status text not null,
  tx_hash text, updated_at integer not null);
create table if not exists claims (task_id text not null, kind text not null,
  status text not null, tx_hash text, amount text, updated_at integer not null,
  primary key (task_id, kind));
create table if not exists votes (task_id text primary key, guilty integer not null,
  salt text not null, committed integer not null default 0,
  revealed integer not null default 0, reasons text);
create table if not exists audits (task_id text primary key, guilty integer not null,
  reasons text not null, challenged integer not null default 0,
  resolved integer not null default 0);
create table if not exists meta (key text primary key, value text not null);
`

export class NodeStore {
  readonly db: DatabaseSync

  constructor(path: string) {
    this.db = new DatabaseSync(path)
    this.db.exec('pragma journal_mode = wal; pragma synchronous = full;')
    this.db.exec(SCHEMA)
  }

  get(key: string): string | undefined {
    const row = this.db
      .prepare('select value from meta where key = ?')
      .get(key) as { value: string } | undefined
    return row?.value
  }

  set(key: string, value: string): void {
    this.db
      .prepare(
        'insert into meta (key, value) values (?, ?) on conflict(key) do update set value = excluded.value',
      )
      .run(key, value)
  }

  /** Inserts a task once; later sightings (re-scans after a reorg) are no-ops. */
  addTask(taskId: bigint, posted: unknown, block: number): boolean {
    const r = this.db
      .prepare(
        'insert or ignore into tasks (task_id, status, posted, block, updated_at) values (?, ?, ?, ?, ?)',
      )
      .run(
        String(taskId),
        'seen',
        JSON.stringify(posted, big),
        block,
        Date.now(),
      )
    return r.changes > 0
  }

  setTaskStatus(taskId: bigint, status: string): void {
    this.db
      .prepare('update tasks set status = ?, updated_at = ? where task_id = ?')
      .run(status, Date.now(), String(taskId))
  }

  task(taskId: bigint): TaskRow | undefined {
    return this.db
      .prepare(
        'select task_id, status, posted, block from tasks where task_id = ?',
      )
      .get(String(taskId)) as TaskRow | undefined
  }

  /** Tasks not in a terminal status, oldest first. */
  activeTasks(terminal: readonly string[]): TaskRow[] {
    const marks = terminal.map(() => '?').join(',')
    return this.db
      .prepare(
        `select task_id, status, posted, block from tasks where status not in (${marks}) order by block, task_id`,
      )
      .all(...terminal) as TaskRow[]
  }

  countTasks(status: string): number {
    const row = this.db
      .prepare('select count(*) as n from tasks where status = ?')
      .get(status) as { n: number }
    return row.n
  }

  bid(taskId: bigint) {
    return this.db
      .prepare('select price, status, tx_hash from bids where task_id = ?')
      .get(String(taskId)) as
      | { price: string; status: TxStatus; tx_hash: string | null }
      | undefined
  }

  setBid(
    taskId: bigint,
    price: bigint,
    status: TxStatus,
    txHash?: string,
  ): void {
    this.db
      .prepare(
        `insert into bids (task_id, price, status, tx_hash, updated_at) values (?, ?, ?, ?, ?)
         on conflict(task_id) do update set price = excluded.price, status = excluded.status,
         tx_hash = coalesce(excluded.tx_hash, bids.tx_hash), updated_at = excluded.updated_at`,
      )
      .run(String(taskId), String(price), status, txHash ?? null, Date.now())
  }

  commit(taskId: bigint) {
    return this.db
      .prepare(
        'select output, receipt_hash, output_hash, status, tx_hash from commits where task_id = ?',
      )
      .get(String(taskId)) as
      | {
          output: string
          receipt_hash: string
          output_hash: string
          status: TxStatus
          tx_hash: string | null
        }
      | undefined
  }

  /** Stores a computed result once: a restart re-commits these exact bytes. */
  saveResult(
    taskId: bigint,
    r: { output: string; receiptHash: string; outputHash: string },
  ): void {
    this.db
      .prepare(
        `insert or ignore into commits (task_id, output, receipt_hash, output_hash, status, updated_at)
         values (?, ?, ?, ?, 'intent', ?)`,
      )
      .run(String(taskId), r.output, r.receiptHash, r.outputHash, Date.now())
  }

  setCommitStatus(taskId: bigint, status: TxStatus, txHash?: string): void {
    this.db
      .prepare(
        'update commits set status = ?, tx_hash = coalesce(?, tx_hash), updated_at = ? where task_id = ?',
      )
      .run(status, txHash ?? null, Date.now(), String(taskId))
  }

  claim(taskId: bigint, kind: 'finalize' | 'withdraw') {
    return this.db
      .prepare(
        'select status, tx_hash, amount from claims where task_id = ? and kind = ?',
      )
      .get(String(taskId), kind) as
      | { status: TxStatus; tx_hash: string | null; amount: string | null }
      | undefined
  }

  setClaim(
    taskId: bigint,
    kind: 'finalize' | 'withdraw',
    status: TxStatus,
    extra: { txHash?: string; amount?: bigint } = {},
  ): void {
    this.db
      .prepare(
        `insert into claims (task_id, kind, status, tx_hash, amount, updated_at) values (?, ?, ?, ?, ?, ?)
         on conflict(task_id, kind) do update set status = excluded.status,
         tx_hash = coalesce(excluded.tx_hash, claims.tx_hash), amount = coalesce(excluded.amount, claims.amount),
         updated_at = excluded.updated_at`,
      )
      .run(
        String(taskId),
        kind,
        status,
        extra.txHash ?? null,
        extra.amount === undefined ? null : String(extra.amount),
        Date.now(),
      )
  }

  vote(taskId: bigint) {
    return this.db
      .prepare(
        'select guilty, salt, committed, revealed from votes where task_id = ?',
      )
      .get(String(taskId)) as
      | { guilty: number; salt: string; committed: number; revealed: number }
      | undefined
  }

  saveVote(
    taskId: bigint,
    guilty: boolean,
    salt: string,
    reasons: string[],
  ): void {
    this.db
      .prepare(
        'insert or ignore into votes (task_id, guilty, salt, reasons) values (?, ?, ?, ?)',
      )
      .run(String(taskId), guilty ? 1 : 0, salt, JSON.stringify(reasons))
  }

  markVote(taskId: bigint, field: 'committed' | 'revealed'): void {
    this.db
      .prepare(`update votes set ${field} = 1 where task_id = ?`)
      .run(String(taskId))
  }

  audit(taskId: bigint) {
    return this.db
      .prepare(
        'select guilty, reasons, challenged, resolved from audits where task_id = ?',
      )
      .get(String(taskId)) as
      | {
          guilty: number
          reasons: string
          challenged: number
          resolved: number
        }
      | undefined
  }

  saveAudit(taskId: bigint, guilty: boolean, reasons: string[]): void {
    this.db
      .prepare(
        'insert or ignore into audits (task_id, guilty, reasons) values (?, ?, ?)',
      )
      .run(String(taskId), guilty ? 1 : 0, JSON.stringify(reasons))
  }

  markAudit(taskId: bigint, field: 'challenged' | 'resolved'): void {
    this.db
      .prepare(`update audits set ${field} = 1 where task_id = ?`)
      .run(String(taskId))
  }

  /** Audits waiting for a challenge or its resolution. */
  openAudits(): { task_id: string; guilty: number; challenged: number }[] {
    return this.db
      .prepare(
        'select task_id, guilty, challenged from audits where guilty = 1 and resolved = 0',
      )
      .all() as { task_id: string; guilty: number; challenged: number }[]
  }

  close(): void {
    if (this.db.isOpen) this.db.close()
  }
}

/** JSON replacer that keeps bigints as "123n" strings. */
function big(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value
}
