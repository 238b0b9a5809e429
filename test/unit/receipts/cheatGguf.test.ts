// The cheat-model writers the audit tests use: the TypeScript Q4_0
// requantizer is byte-identical to gguf-py's reference quantizer (fixture
// from scripts/fixtures/q4_0_reference.py), Q4_1 blocks dequantize to
// d·q + m, and rewritten GGUFs (requantized, two blocks dropped) read back
// with the right types, names and block count.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  dequantizeQ4_1,
  dropBlocks,
  quantizeQ4_0,
  requantizeQ4_1ToQ4_0,
} from '../../helpers/cheatGguf.ts'
import { toHalfBits } from '../../helpers/ggufTensorData.ts'
import { writeRandomLlamaGguf } from '../../helpers/randomLlamaGguf.ts'
import { readGguf } from '../../helpers/readGguf.ts'

const fixture = JSON.parse(
  readFileSync(
    join(import.meta.dirname, '..', '..', 'fixtures', 'q4_0-gguf-py.json'),
    'utf8',
  ),
)

describe('cheat GGUFs', () => {
  it('quantizes Q4_0 exactly like the reference quantizer', () => {
    const q = quantizeQ4_0(Float32Array.from(fixture.values))
    expect(q.toString('hex')).toBe(fixture.q4_0)
  })

  it('dequantizes Q4_1 blocks as d * q + m (low nibbles first)', () => {
    const block = Buffer.alloc(20)
    block.writeUInt16LE(toHalfBits(0.5), 0)
    block.writeUInt16LE(toHalfBits(-1), 2)
    for (let j = 0; j < 16; j++) block[4 + j] = j | ((15 - j) << 4)
    const x = dequantizeQ4_1(block)
    expect(x[0]).toBe(-1)
    expect(x[15]).toBe(6.5)
    expect(x[16]).toBe(6.5)
    expect(x[31]).toBe(-1)
  })

  it('rewrites a model requantized and with two blocks dropped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cheat-'))
    const src = join(dir, 'q4_1.gguf')
    const shape = {
      hidden: 64,
      layers: 4,
      heads: 4,
      kvHeads: 2,
      ffn: 128,
      vocab: 300,
    }
    writeRandomLlamaGguf(src, { type: 'Q4_1', shape })
    const original = readGguf(src)
    expect(requantizeQ4_1ToQ4_0(src, join(dir, 'q4_0.gguf'))).toBe(4 * 7 + 2)
    const q40 = readGguf(join(dir, 'q4_0.gguf'))
    expect(q40.tensors.filter((t) => t.type === 3)).toHaveLength(0)
    const wq = q40.tensors.find((t) => t.name === 'blk.2.attn_q.weight')
    const oq = original.tensors.find((t) => t.name === 'blk.2.attn_q.weight')
    expect(wq?.type).toBe(2)
    expect(wq?.data.length).toBe(((oq?.data.length ?? 0) / 20) * 18)
    expect(q40.metadata['tokenizer.ggml.tokens']).toEqual(
      original.metadata['tokenizer.ggml.tokens'],
    )
    dropBlocks(src, join(dir, 'drop.gguf'), [1, 2])
    const dropped = readGguf(join(dir, 'drop.gguf'))
    expect(dropped.metadata['llama.block_count']?.value).toBe(2)
    const blocks = new Set(
      dropped.tensors
        .map((t) => /^blk\.(\d+)\./.exec(t.name)?.[1])
        .filter(Boolean),
    )
    expect([...blocks]).toEqual(['0', '1'])
    // old block 3 is the new block 1, bytes unchanged
    const old3 = original.tensors.find((t) => t.name === 'blk.3.ffn_up.weight')
    const new1 = dropped.tensors.find((t) => t.name === 'blk.1.ffn_up.weight')
    expect(new1?.data.equals(old3?.data as Buffer)).toBe(true)
    expect(() => dropBlocks(src, join(dir, 'bad.gguf'), [4])).toThrow(/outside/)
  })
})
