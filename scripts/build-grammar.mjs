// Builds the grammar engine: the llguidance crate (pinned in
// native/grammar/Cargo.toml + Cargo.lock) as one static library with its C
// API, plus the llguidance.h header shipped in the crate. Cargo's target dir
// lives in the cache outside the repo; the build is skipped when the library
// is newer than the manifest and lock file, unless --force is given.
// Runs on the system Node (no TS).
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pocketHome } from './paths.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const crateDir = join(root, 'native', 'grammar')
const manifest = join(crateDir, 'Cargo.toml')
const lockFile = join(crateDir, 'Cargo.lock')

export function grammarTargetDir() {
  return (
    process.env.POCKET_CARGO_TARGET_DIR ?? join(pocketHome(), 'cargo-target')
  )
}

/** Where the static library and header end up (they may not exist yet). */
export function grammarPaths() {
  const target = grammarTargetDir()
  return {
    lib: join(target, 'release', 'libpocket_grammar.a'),
    includeDir: join(target, 'include'),
  }
}

function newestInput() {
  let newest = 0
  for (const f of [manifest, lockFile, join(crateDir, 'src', 'lib.rs')])
    if (existsSync(f)) newest = Math.max(newest, statSync(f).mtimeMs)
  return newest
}

// llguidance's build script places its (shipped) llguidance.h beside the
// library in target/release; copy it to a folder of its own for -I.
function llguidanceHeader() {
  const header = join(grammarTargetDir(), 'release', 'llguidance.h')
  if (!existsSync(header))
    throw new Error(`the llguidance build left no header at ${header}`)
  return header
}

/** Builds (or reuses) libpocket_grammar.a; returns { lib, includeDir }. */
export function buildGrammar({ force = false } = {}) {
  const paths = grammarPaths()
  const header = join(paths.includeDir, 'llguidance.h')
  if (
    !force &&
    existsSync(paths.lib) &&
    existsSync(header) &&
    statSync(paths.lib).mtimeMs > newestInput()
  ) {
    console.log('[grammar] llguidance static library is up to date')
    return paths
  }
  if (spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status !== 0)
    throw new Error(
      'cargo (the Rust toolchain) is needed to build the grammar engine; install it with rustup',
    )
  const jobs = String(process.env.POCKET_BUILD_JOBS ?? 2)
  console.log(
    '[grammar] building llguidance (cargo, release; a few minutes on 2 cores the first time)',
  )
  execFileSync(
    'cargo',
    ['build', '--release', '--locked', '-j', jobs, '--manifest-path', manifest],
    {
      stdio: 'inherit',
      env: { ...process.env, CARGO_TARGET_DIR: grammarTargetDir() },
    },
  )
  mkdirSync(paths.includeDir, { recursive: true })
  copyFileSync(llguidanceHeader(), header)
  return paths
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lib, includeDir } = buildGrammar({
    force: process.argv.includes('--force'),
  })
  console.log(`[grammar] ${lib}\n[grammar] ${includeDir}`)
}
