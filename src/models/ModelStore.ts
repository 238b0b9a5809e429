// The local model catalogue: everything in the HF hub cache, imports and
// LM Studio's download folder (read-only),
// and the resolution of user-facing ids (`publisher/name`, `name@quant`,
// short aliases) to one concrete model variant.

import { ModelNotFoundError } from './errors.ts'
import { getHubCacheDir, getImportsDir, getLmStudioModelsDir } from './paths.ts'
import { scanHubCache } from './scanHubCache.ts'
import { scanImports } from './scanImports.ts'
import type { LocalModel, ModelCatalogue } from './types.ts'

export type ModelStoreOptions = {
  hubCacheDir?: string
  importsDir?: string
  /** LM Studio's models folder; null = do not scan it. */
  lmstudioDir?: string | null
}

/** Variant picked when a key has several and none was asked for. */
const PREFERRED = [
  'q4_k_m',
  'q4_1',
  'q4_0',
  'q5_k_m',
  'q8_0',
  '4bit',
  'f16',
  'bf16',
]

export class ModelStore implements ModelCatalogue {
  readonly hubCacheDir: string
  readonly importsDir: string
  readonly lmstudioDir: string | null

  constructor(options: ModelStoreOptions = {}) {
    this.hubCacheDir = options.hubCacheDir ?? getHubCacheDir()
    this.importsDir = options.importsDir ?? getImportsDir()
    this.lmstudioDir =
      options.lmstudioDir === undefined
        ? getLmStudioModelsDir()
        : options.lmstudioDir
  }

  async list(): Promise<LocalModel[]> {
    const [hub, imported, lmstudio] = await Promise.all([
      scanHubCache(this.hubCacheDir),
      scanImports(this.importsDir),
      this.lmstudioDir
        ? scanImports(this.lmstudioDir, 'lmstudio')
        : Promise.resolve([]),
    ])
    return [...hub, ...imported, ...lmstudio]
  }

  async resolve(id: string): Promise<LocalModel> {
    return resolveModel(await this.list(), id)
  }
}

/** Picks the model variant an id names; throws ModelNotFoundError. */
export function resolveModel(models: LocalModel[], id: string): LocalModel {
  const at = id.lastIndexOf('@')
  const base = (at > 0 ? id.slice(0, at) : id).toLowerCase()
  const variant = at > 0 ? id.slice(at + 1).toLowerCase() : null
  const matches = models.filter(
    (m) =>
      m.key.toLowerCase() === base ||
      m.alias === base ||
      m.name.toLowerCase() === base ||
      `${m.publisher.toLowerCase()}/${m.alias}` === base,
  )
  if (matches.length === 0) {
    throw new ModelNotFoundError(id, {
      details:
        'Run `pocket ls` to list downloaded models, `pocket get <repo>` to download one.',
    })
  }
  if (variant) {
    const exact = matches.find((m) => m.variant === variant)
    if (exact) return exact
    const known = matches
      .map((m) => m.variant)
      .filter(Boolean)
      .join(', ')
    throw new ModelNotFoundError(id, {
      details: `Available variants: ${known || 'none'}`,
    })
  }
  return [...matches].sort((a, b) => rank(a) - rank(b))[0] as LocalModel
}

const rank = (m: LocalModel) => {
  const i = PREFERRED.indexOf(m.variant ?? '')
  return i === -1 ? PREFERRED.length : i
}
