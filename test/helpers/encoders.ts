// Whether the built addon registers the encoder bindings (InitEncoders in
// native/src/addon.cpp). Encoder tests skip, saying so, until it does.
import { native } from '../../src/engine/native.ts'

export const hasEncoders: boolean = (() => {
  try {
    return (
      typeof (native() as { loadEncoder?: unknown }).loadEncoder === 'function'
    )
  } catch {
    return false
  }
})()

if (!hasEncoders)
  console.warn(
    '[test] the addon has no loadEncoder (InitEncoders not registered): encoder tests are skipped',
  )
