// Where the engine computes: the MLX device it uses (POCKET_DEVICE, else the
// GPU when the wheel has one), the kernels that run there and the default
// activation dtype. Model info and receipts report it (README: Backends).
import { type NativeBackend, native } from './native.ts'

export type EngineBackend = NativeBackend

/** The engine's backend, as the addon reports it. */
export function engineBackend(): EngineBackend {
  return native().backend()
}

/**
 * The backend string receipts carry: `mlx-<kernels>/<mlx version>/<dtype>`,
 * e.g. `mlx-cpu/0.32.4/float32` or `mlx-cuda/0.32.4/float16`. Auditors read
 * the node's backend and dtype from it (parseBackendString).
 */
export function backendString(info: { backend: string; dtype: string }) {
  return `mlx-${info.backend}/${native().mlxVersion}/${info.dtype}`
}

export type ParsedBackend = {
  /** `cpu`, `cpu-graph`, `cuda`, `metal`, ... */
  kernels: string
  mlxVersion: string
  /** Absent in receipts made before the dtype was recorded (then float32). */
  dtype: string
}

/** Inverse of backendString; older `mlx-cpu/<version>` strings read as float32. */
export function parseBackendString(backend: string): ParsedBackend | undefined {
  const m = /^mlx-([a-z0-9-]+)(?:\/([^/]+))?(?:\/([a-z0-9]+))?$/.exec(backend)
  if (!m) return undefined
  return {
    kernels: m[1] as string,
    mlxVersion: m[2] ?? 'unknown',
    dtype: m[3] ?? 'float32',
  }
}
