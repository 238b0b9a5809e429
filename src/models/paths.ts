// Where things live on disk and which hub to talk to. Environment variables
// follow the Hugging Face conventions so existing downloads are reused.
import { homedir } from 'node:os'
import { join } from 'node:path'

/** The HF hub cache (`$HF_HUB_CACHE`, `$HF_HOME/hub`, ~/.cache/huggingface/hub). */
export function getHubCacheDir(env = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE
  const cacheHome = env.XDG_CACHE_HOME ?? join(homedir(), '.cache')
  return join(env.HF_HOME ?? join(cacheHome, 'huggingface'), 'hub')
}

/** Our own small state (imports, running server) under `$POCKET_HOME`. */
export function getPocketHome(env = process.env): string {
  return env.POCKET_HOME ?? join(homedir(), '.cache', 'pocketcloudmlx')
}

/** Imported model files: `$POCKET_HOME/models/<publisher>/<name>/<file>`. */
export function getImportsDir(env = process.env): string {
  return join(getPocketHome(env), 'models')
}

/**
 * LM Studio's own download folder (`<publisher>/<repo>/<file>`), scanned
 * read-only so its models need no import: `$LMSTUDIO_MODELS_DIR`, else
 * `~/.lmstudio/models`.
 */
export function getLmStudioModelsDir(env = process.env): string {
  return env.LMSTUDIO_MODELS_DIR ?? join(homedir(), '.lmstudio', 'models')
}

/** Hub endpoint; `HF_ENDPOINT` points the client at a mirror or test server. */
export function getHubUrl(env = process.env): string | undefined {
  return env.HF_ENDPOINT?.replace(/\/+$/, '') || undefined
}

/** `HF_HUB_OFFLINE=1` (or `POCKET_OFFLINE=1`): never touch the network. */
export function isOffline(env = process.env): boolean {
  const on = (v: string | undefined) => v === '1' || v?.toLowerCase() === 'true'
  return on(env.HF_HUB_OFFLINE) || on(env.POCKET_OFFLINE)
}

/** Access token for gated repos. */
export function getHubToken(env = process.env): string | undefined {
  return env.HF_TOKEN || undefined
}
