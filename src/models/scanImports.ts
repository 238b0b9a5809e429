// Lists models imported with `pocket import`, kept under
// `$POCKET_HOME/models/<publisher>/<name>/` — the layout of LM Studio's
// own download folder too, which is scanned the same way (read-only).
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { aliasFromName } from './describeName.ts'
import { describeWeights } from './describeWeights.ts'
import { findWeights } from './scanHubCache.ts'
import type { LocalModel } from './types.ts'

export async function scanImports(
  importsDir: string,
  source: LocalModel['source'] = 'import',
): Promise<LocalModel[]> {
  const models: LocalModel[] = []
  for (const publisher of await list(importsDir)) {
    for (const name of await list(join(importsDir, publisher))) {
      for (const path of await findWeights(
        join(importsDir, publisher, name),
        1,
      )) {
        const d = await describeWeights(path)
        if (!d) continue
        models.push({
          key: `${publisher}/${name}`,
          publisher,
          name,
          alias: aliasFromName(name),
          variant:
            d.format === 'gguf'
              ? (d.quantization?.toLowerCase() ?? null)
              : null,
          path,
          ...d,
          source,
        })
      }
    }
  }
  return models
}

const list = async (dir: string) =>
  (await readdir(dir, { withFileTypes: true }).catch(() => []))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort()
