// Structured-output benchmark on SmolLM2-135M (49k vocabulary), per schema of
// test/fixtures/schemas: decode tok/s unconstrained vs grammar-constrained
// (llguidance in the engine), llguidance's mask time per token (engine
// stats), and @mlc-ai/web-xgrammar (WASM) computing masks over the very same
// token sequences, in the same run. Goal: constrained loses <= 5% tok/s.
// Run: `npm run bench:structured [-- --schemas 12 --tokens 96]`.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire, Module } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadModel } from '../src/engine/loadModel.ts'
import type { Model } from '../src/engine/model.ts'
import { jsonSchemaGrammar } from '../src/engine/structured/responseFormat.ts'
import { smollm2Path } from '../test/helpers/models.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values: args } = parseArgs({
  options: {
    schemas: { type: 'string', default: '12' },
    tokens: { type: 'string', default: '96' },
  },
})

// web-xgrammar ships a CommonJS bundle under "type": "module"; compile it as CJS.
// biome-ignore lint/suspicious/noExplicitAny: untyped CommonJS bundle
function loadXGrammar(): any | undefined {
  const require = createRequire(import.meta.url)
  let file: string
  try {
    file = require.resolve('@mlc-ai/web-xgrammar')
  } catch {
    return undefined
  }
  const mod = new Module(file) as Module & {
    _compile(code: string, file: string): void
  }
  mod.filename = file
  mod.paths = (
    Module as unknown as { _nodeModulePaths(d: string): string[] }
  )._nodeModulePaths(dirname(file))
  mod._compile(readFileSync(file, 'utf8'), file)
  return mod.exports
}

type Run = {
  tokens: number[]
  tps: number
  decodeMs: number
  maskMs?: number
  masks?: number
}

async function run(
  model: Model,
  prompt: string,
  opts: Record<string, unknown>,
): Promise<Run> {
  const stream = model.generate(prompt, {
    temperature: 0,
    promptCache: false,
    ...opts,
  } as never)
  for await (const _ of stream);
  const s = await stream.result
  const native = (
    s as unknown as {
      native: { grammarMaskMs?: number; grammarMasks?: number }
    }
  ).native
  const n = s.tokenIds.length
  return {
    tokens: s.tokenIds,
    tps: s.tokensPerSecond,
    decodeMs:
      n > 1 && s.tokensPerSecond > 0 ? ((n - 1) / s.tokensPerSecond) * 1000 : 0,
    maskMs: native.grammarMaskMs,
    masks: native.grammarMasks,
  }
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

async function main(): Promise<void> {
  const dir = join(root, 'test', 'fixtures', 'schemas')
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .slice(0, Number(args.schemas))
  const maxTokens = Number(args.tokens)
  const model = await loadModel(smollm2Path())
  const xg = loadXGrammar()
  const eos = model.tokenizer.special.eosIds
  // biome-ignore lint/suspicious/noExplicitAny: untyped CommonJS bundle
  let xgTok: any
  // biome-ignore lint/suspicious/noExplicitAny: untyped CommonJS bundle
  let xgCompiler: any
  if (xg) {
    const vocab = model.native.metadata['tokenizer.ggml.tokens'] as string[]
    xgTok = await xg.TokenizerInfo.createTokenizerInfo(
      vocab,
      'byte_level',
      false,
      model.info.vocabSize,
      eos,
    )
    xgCompiler = await xg.GrammarCompiler.createGrammarCompiler(xgTok)
  } else {
    console.log(
      '[bench] @mlc-ai/web-xgrammar is not installed; skipping the peer',
    )
  }
  const banEos = Object.fromEntries(eos.map((id) => [id, -100]))
  const rows: Record<string, unknown>[] = []
  let freeTok = 0,
    freeMs = 0,
    cTok = 0,
    cMs = 0,
    llgMs = 0,
    llgMasks = 0,
    xgMs = 0,
    xgMasks = 0
  // Warm-up (first-call allocations).
  await run(model, 'Hello', { maxTokens: 8, logitBias: banEos })
  for (const f of files) {
    const schema = JSON.parse(readFileSync(join(dir, f), 'utf8'))
    const prompt = `Reply with JSON matching this schema: ${JSON.stringify(schema)}`
    const free = await run(model, prompt, { maxTokens, logitBias: banEos })
    const constrained = await run(model, prompt, {
      maxTokens,
      grammar: jsonSchemaGrammar(schema, true),
    })
    freeTok += free.tokens.length - 1
    freeMs += free.decodeMs
    cTok += constrained.tokens.length - 1
    cMs += constrained.decodeMs
    llgMs += constrained.maskMs ?? 0
    llgMasks += constrained.masks ?? 0
    const row: Record<string, unknown> = {
      schema: f.replace('.json', ''),
      tokens: constrained.tokens.length,
      'free tok/s': +free.tps.toFixed(1),
      'constrained tok/s': +constrained.tps.toFixed(1),
      'llg µs/mask': constrained.masks
        ? +((1000 * (constrained.maskMs ?? 0)) / constrained.masks).toFixed(1)
        : 'n/a',
    }
    if (xgCompiler) {
      // xgrammar over the same tokens, with the same JSON layout options.
      const t0 = performance.now()
      const compiled = await xgCompiler.compileJSONSchema(
        JSON.stringify(schema),
        false,
        -1, // compact: no newlines/indent (undefined would mean indent 2)
        [', ', ': '],
        true,
      )
      const compileMs = performance.now() - t0
      const matcher = await xg.GrammarMatcher.createGrammarMatcher(compiled)
      const times: number[] = []
      let accepted = 0
      for (const tok of constrained.tokens) {
        const t = performance.now()
        await matcher.getNextTokenBitmask()
        times.push(performance.now() - t)
        if (!matcher.acceptToken(tok)) break
        accepted++
      }
      matcher.dispose()
      compiled.dispose()
      xgMs += times.reduce((a, b) => a + b, 0)
      xgMasks += times.length
      row['xgrammar µs/mask (median)'] = +(1000 * median(times)).toFixed(1)
      row['xgrammar compile ms'] = +compileMs.toFixed(1)
      row['xgrammar agrees'] =
        accepted === constrained.tokens.length
          ? 'yes'
          : `${accepted}/${constrained.tokens.length}`
    }
    rows.push(row)
  }
  await model.dispose()
  const freeTps = freeMs > 0 ? (1000 * freeTok) / freeMs : 0
  const cTps = cMs > 0 ? (1000 * cTok) / cMs : 0
  const summary = {
    model: 'SmolLM2-135M-Instruct Q4_1',
    schemas: files.length,
    unconstrainedTokPerSec: +freeTps.toFixed(1),
    constrainedTokPerSec: +cTps.toFixed(1),
    lossPercent:
      freeTps > 0 ? +((100 * (freeTps - cTps)) / freeTps).toFixed(1) : null,
    llguidanceMeanMaskUs: llgMasks
      ? +((1000 * llgMs) / llgMasks).toFixed(1)
      : null,
    xgrammarMeanMaskUs: xgMasks ? +((1000 * xgMs) / xgMasks).toFixed(1) : null,
  }
  console.table(rows)
  console.table([summary])
  const out = join(root, 'bench', 'results', 'structured.json')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), summary, rows }, null, 2)}\n`,
  )
  console.log(`[bench] wrote ${out}`)
}

await main()
