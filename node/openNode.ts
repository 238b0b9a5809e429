// Shared setup for the CLI commands: deployment file, keystore account,
// clients, state DB and the model shelf.
import { mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { readDeployment } from '../src/chain/deployment.ts'
import { createClients } from './clients.ts'
import { unlockKeystore } from './keystore.ts'
import { ModelShelf } from './modelShelf.ts'
import { NodeStore } from './store.ts'

export type OpenNodeFlags = {
  deployment: string
  keystore: string
  rpc?: string
  db?: string
  model?: string[]
}

export const defaultHome = () =>
  process.env.POCKET_HOME ?? join(homedir(), '.pocket')

export async function openNode(flags: OpenNodeFlags, role = 'node') {
  const deployment = await readDeployment({ path: flags.deployment })
  const account = await unlockKeystore(flags.keystore)
  const clients = createClients({
    rpcUrl: flags.rpc ?? deployment.rpcUrl,
    chainId: deployment.chainId,
    account,
  })
  mkdirSync(defaultHome(), { recursive: true })
  const store = new NodeStore(
    flags.db ??
      join(defaultHome(), `${role}-${account.address.toLowerCase()}.db`),
  )
  const models = new ModelShelf()
  for (const path of flags.model ?? []) await models.add(path)
  return { deployment, account, clients, store, models }
}
