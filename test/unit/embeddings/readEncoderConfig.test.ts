// Pooling, normalization and max length from sentence-transformers'
// metadata files, and Matryoshka truncation.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readEncoderConfig } from '../../../src/engine/embeddings/readEncoderConfig.ts'
import { truncateVector } from '../../../src/engine/embeddings/truncateVector.ts'

const bert = {
  model_type: 'bert',
  hidden_size: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 16,
  vocab_size: 10,
  max_position_embeddings: 512,
}

function folder(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pocket-enc-'))
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), JSON.stringify(body))
  }
  return dir
}

describe('readEncoderConfig', () => {
  it('reads mean pooling + Normalize + max_seq_length (all-MiniLM layout)', () => {
    const c = readEncoderConfig(
      folder({
        'config.json': bert,
        'sentence_bert_config.json': { max_seq_length: 256 },
        'modules.json': [
          { path: '', type: 'sentence_transformers.models.Transformer' },
          { path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
          {
            path: '2_Normalize',
            type: 'sentence_transformers.models.Normalize',
          },
        ],
        '1_Pooling/config.json': { pooling_mode_mean_tokens: true },
      }),
    )
    expect(c).toMatchObject({
      pooling: 'mean',
      normalize: true,
      maxSeqLength: 256,
      maxPositions: 512,
    })
    expect(c.native).toMatchObject({
      hiddenSize: 8,
      numLayers: 1,
      numHeads: 2,
      hiddenAct: 'gelu',
    })
  })

  it('honours CLS pooling without Normalize', () => {
    const c = readEncoderConfig(
      folder({
        'config.json': bert,
        'modules.json': [
          { path: 'pool', type: 'sentence_transformers.models.Pooling' },
        ],
        'pool/config.json': {
          pooling_mode_cls_token: true,
          pooling_mode_mean_tokens: false,
        },
      }),
    )
    expect(c).toMatchObject({
      pooling: 'cls',
      normalize: false,
      maxSeqLength: 512,
    })
  })

  it('rejects non-BERT encoders clearly', () => {
    expect(() =>
      readEncoderConfig(
        folder({ 'config.json': { ...bert, model_type: 'llama' } }),
      ),
    ).toThrow(/not a BERT-family/)
  })
})

describe('truncateVector', () => {
  it('keeps the first dims and renormalizes', () => {
    const v = truncateVector(new Float32Array([3, 4, 12]), 2)
    expect(Array.from(v)).toEqual([0.6000000238418579, 0.800000011920929])
  })
})
