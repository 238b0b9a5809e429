// LM Studio's /api/v1/chat load and prompt-processing events, sent while
// the work happens: model_load.start / progress / end around a JIT load
// (progress from the weight loader), then prompt_processing.start /
// progress / end around prefill (a progress value per prefill chunk). Each
// progress value goes out once, increasing, starting at 0 and ending at 1.
// `open` runs before the first event (it opens the stream and sends
// chat.start), so errors found before any work stay plain HTTP errors.
import type { StartGenerationHooks } from '../../generation/startGeneration.ts'

type Emit = (type: string, data?: object) => void

export class V1ProgressEvents {
  /** The instance the events name (the request's model until leased). */
  instanceId: string
  readonly #emit: Emit
  readonly #open: (instanceId: string) => void
  #loading = false
  #load = -1
  #prompting = false
  #prompt = -1

  constructor(instanceId: string, emit: Emit, open: (id: string) => void) {
    this.instanceId = instanceId
    this.#emit = emit
    this.#open = open
  }

  /** The startGeneration hooks that drive the events. */
  hooks(): Pick<
    StartGenerationHooks,
    'onLoadStart' | 'onLoadProgress' | 'onLeased' | 'onPromptProgress'
  > {
    return {
      onLoadStart: (id) => {
        this.instanceId = id
        this.#open(id)
        this.#loading = true
        this.#emit('model_load.start', { model_instance_id: id })
        this.#loadProgress(0)
      },
      onLoadProgress: (f) => {
        if (this.#loading) this.#loadProgress(f)
      },
      onLeased: (lease) => {
        this.instanceId = lease.identifier
        if (!this.#loading || lease.loadTimeMs == null) return
        this.#loadProgress(1)
        this.#loading = false
        this.#emit('model_load.end', {
          model_instance_id: lease.identifier,
          load_time_seconds: Math.round(lease.loadTimeMs) / 1000,
        })
      },
      onPromptProgress: (f) => this.promptProgress(f),
    }
  }

  promptProgress(fraction: number): void {
    if (!this.#prompting) {
      this.#prompting = true
      this.#prompt = -1
      this.#open(this.instanceId)
      this.#emit('prompt_processing.start')
      this.#promptValue(0)
    }
    this.#promptValue(fraction)
  }

  /** Prefill is over (the first token is out): progress 1, then the end. */
  endPrompt(): void {
    this.promptProgress(1)
    this.#prompting = false
    this.#emit('prompt_processing.end')
  }

  #loadProgress(progress: number): void {
    if (progress <= this.#load) return
    this.#load = progress
    this.#emit('model_load.progress', {
      model_instance_id: this.instanceId,
      progress,
    })
  }

  #promptValue(progress: number): void {
    if (progress <= this.#prompt) return
    this.#prompt = progress
    this.#emit('prompt_processing.progress', { progress })
  }
}
