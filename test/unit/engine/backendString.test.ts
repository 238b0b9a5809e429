// Receipts name the kernels, MLX version and activation dtype that ran a task
// (`mlx-cuda/0.32.4/float16`); auditors read them back to pick tolerances.
import { describe, expect, it } from 'vitest'
import { parseBackendString } from '../../../src/engine/engineBackend.ts'

describe('parseBackendString', () => {
  it('reads kernels, MLX version and dtype', () => {
    expect(parseBackendString('mlx-cuda/0.32.4/float16')).toEqual({
      kernels: 'cuda',
      mlxVersion: '0.32.4',
      dtype: 'float16',
    })
    expect(parseBackendString('mlx-cpu-graph/0.32.4/bfloat16')).toMatchObject({
      kernels: 'cpu-graph',
      dtype: 'bfloat16',
    })
  })

  it('reads receipts made before the dtype was recorded as float32', () => {
    expect(parseBackendString('mlx-cpu/0.32.4')).toEqual({
      kernels: 'cpu',
      mlxVersion: '0.32.4',
      dtype: 'float32',
    })
    expect(parseBackendString('mlx-cpu')).toMatchObject({ kernels: 'cpu' })
  })

  it('rejects strings of another shape', () => {
    expect(parseBackendString('llama.cpp/b4000')).toBeUndefined()
    expect(parseBackendString('mlx-CUDA/0.32.4/float16/extra')).toBeUndefined()
  })
})
