// The models a node holds, keyed by model digest: paths registered up
// front, loaded on first use and kept (one engine thread serves them all).
import type { Hex } from 'viem'
import { loadModel } from '../src/engine/loadModel.ts'
import type { Model } from '../src/engine/model.ts'
import { modelDigestOfPath } from '../src/receipts/modelDigest.ts'

export class ModelShelf {
  #paths = new Map<string, string>()
  #loaded = new Map<string, Promise<Model>>()

  /** Digests `path` and registers it; returns the digest. */
  async add(path: string): Promise<Hex> {
    const { digest } = await modelDigestOfPath(path)
    this.#paths.set(digest, path)
    return digest
  }

  /** Registers an already-loaded model under a digest (tests, embedding). */
  put(digest: Hex, model: Model): void {
    this.#loaded.set(digest, Promise.resolve(model))
  }

  holds(digest: Hex): boolean {
    return this.#paths.has(digest) || this.#loaded.has(digest)
  }

  get digests(): Hex[] {
    return [
      ...new Set([...this.#paths.keys(), ...this.#loaded.keys()]),
    ] as Hex[]
  }

  async get(digest: Hex): Promise<Model | undefined> {
    let m = this.#loaded.get(digest)
    if (!m) {
      const path = this.#paths.get(digest)
      if (!path) return undefined
      m = loadModel(path)
      this.#loaded.set(digest, m)
    }
    return m
  }

  /** Unloads the models this shelf loaded from paths. */
  async dispose(): Promise<void> {
    for (const [digest, m] of this.#loaded)
      if (this.#paths.has(digest)) await (await m).dispose()
    this.#loaded.clear()
  }
}
