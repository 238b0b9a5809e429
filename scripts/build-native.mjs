// Builds the native engine addon (native/) with CMake against the pinned MLX
// wheel. Skips the build when the addon is newer than every source file and
// was built against the same MLX folder (backend), unless --force is given.
// Runs on the system Node (no TS).
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildGrammar } from './build-grammar.mjs'
import { mlxDir } from './paths.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const nativeDir = join(root, 'native')
const buildDir = join(nativeDir, 'build')
const output = join(buildDir, 'pocket_engine.node')
// The MLX folder the addon was built against (a switch of backend rebuilds).
const stamp = join(buildDir, 'mlx-dir.txt')

function newestSource() {
  let newest = statSync(join(nativeDir, 'CMakeLists.txt')).mtimeMs
  for (const f of readdirSync(join(nativeDir, 'src')))
    newest = Math.max(newest, statSync(join(nativeDir, 'src', f)).mtimeMs)
  return newest
}

export function buildNative({ force = false } = {}) {
  const grammar = buildGrammar()
  const newest = Math.max(newestSource(), statSync(grammar.lib).mtimeMs)
  const mlx = mlxDir()
  const sameMlx = existsSync(stamp) && readFileSync(stamp, 'utf8') === mlx
  if (
    !force &&
    existsSync(output) &&
    statSync(output).mtimeMs > newest &&
    (sameMlx || !existsSync(stamp))
  ) {
    console.log('[native] addon is up to date')
    return output
  }
  const napiHeaders = join(
    dirname(require.resolve('node-api-headers/package.json')),
    'include',
  )
  const addonApi = dirname(require.resolve('node-addon-api/package.json'))
  const extra =
    process.env.POCKET_NATIVE_CMAKE_ARGS?.split(' ').filter(Boolean) ?? []
  console.log(`[native] configuring against MLX at ${mlx}`)
  execFileSync(
    'cmake',
    [
      '-S',
      nativeDir,
      '-B',
      buildDir,
      '-DCMAKE_BUILD_TYPE=Release',
      `-DMLX_DIR=${mlx}`,
      `-DNODE_API_HEADERS_DIR=${napiHeaders}`,
      `-DNODE_ADDON_API_DIR=${addonApi}`,
      `-DPOCKET_GRAMMAR_LIB=${grammar.lib}`,
      `-DPOCKET_GRAMMAR_INCLUDE=${grammar.includeDir}`,
      ...extra,
    ],
    { stdio: 'inherit' },
  )
  const jobs = String(process.env.POCKET_BUILD_JOBS ?? 2)
  console.log('[native] compiling (this takes a few minutes on 2 cores)')
  execFileSync('cmake', ['--build', buildDir, '-j', jobs], { stdio: 'inherit' })
  writeFileSync(stamp, mlx)
  return output
}

if (import.meta.url === `file://${process.argv[1]}`) {
  buildNative({ force: process.argv.includes('--force') })
}
