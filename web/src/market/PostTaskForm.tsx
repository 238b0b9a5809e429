// Post a task (prompt, temperature, max tokens, max price) from the dev
// account of the local chain or an injected wallet: approve + postTask,
// with the canonical input and sampling encodings of src/receipts.
import { useState } from 'preact/hooks'
import { parseEther } from 'viem'
import { postTask } from '../../../src/chain/postTask.ts'
import {
  encodeInput,
  encodeSampling,
  hashBytes,
} from '../../../src/receipts/taskEncoding.ts'
import { ErrorBanner } from '../ui/ErrorBanner.tsx'
import ui from '../ui/ui.module.css'
import styles from './market.module.css'
import type { MarketConfig } from './types.ts'
import {
  hasInjectedWallet,
  type WalletSource,
  walletClients,
} from './walletClients.ts'

export function PostTaskForm(props: {
  config: MarketConfig
  onPosted: (taskId: string) => void
}) {
  const [prompt, setPrompt] = useState('Name a primary color.')
  const [temperature, setTemperature] = useState(0)
  const [maxTokens, setMaxTokens] = useState(24)
  const [maxPrice, setMaxPrice] = useState('2')
  const [source, setSource] = useState<WalletSource>('dev')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [posted, setPosted] = useState<string | null>(null)

  const submit = async () => {
    setBusy(true)
    setError(null)
    try {
      const clients = await walletClients(props.config, source)
      const input = encodeInput({
        messages: [{ role: 'user', content: prompt }],
      })
      const block = await clients.public.getBlock({ blockTag: 'latest' })
      const seedBytes = crypto.getRandomValues(new Uint32Array(2))
      const seed =
        ((BigInt(seedBytes[0] as number) << 20n) ^
          BigInt(seedBytes[1] as number)) +
        1n
      const { taskId } = await postTask(clients, {
        addresses: props.config.addresses,
        modelDigest: props.config.model.digest,
        inputHash: hashBytes(input),
        input,
        samplingParams: encodeSampling({ temperature, maxTokens }),
        seed,
        maxPrice: parseEther(maxPrice),
        bidDeadline: block.timestamp + 300n,
        execWindow: 600,
      })
      setPosted(taskId.toString())
      props.onPosted(taskId.toString())
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  return (
    <section class={ui.card} aria-label="Post a task">
      <h2 class={ui.cardTitle}>Post a task</h2>
      <form
        class={styles.form}
        onSubmit={(e) => {
          e.preventDefault()
          void submit()
        }}
      >
        <label for="task-prompt">Prompt</label>
        <textarea
          id="task-prompt"
          rows={2}
          value={prompt}
          onInput={(e) => setPrompt(e.currentTarget.value)}
          required
        />
        <div class={ui.row}>
          <label for="task-temp">Temperature</label>
          <input
            id="task-temp"
            type="number"
            min={0}
            max={2}
            step={0.1}
            value={temperature}
            onInput={(e) => setTemperature(Number(e.currentTarget.value))}
          />
          <label for="task-max-tokens">Max tokens</label>
          <input
            id="task-max-tokens"
            type="number"
            min={1}
            max={512}
            value={maxTokens}
            onInput={(e) => setMaxTokens(Number(e.currentTarget.value))}
          />
          <label for="task-max-price">Max price (POCKET)</label>
          <input
            id="task-max-price"
            inputMode="decimal"
            value={maxPrice}
            size={6}
            onInput={(e) => setMaxPrice(e.currentTarget.value)}
          />
        </div>
        <div class={ui.row}>
          <label for="task-wallet">Pay from</label>
          <select
            id="task-wallet"
            value={source}
            onChange={(e) => setSource(e.currentTarget.value as WalletSource)}
          >
            <option value="dev">
              Dev account {props.config.devAccount.slice(0, 10)}… (local chain)
            </option>
            <option value="injected" disabled={!hasInjectedWallet()}>
              Injected wallet{hasInjectedWallet() ? '' : ' (none found)'}
            </option>
          </select>
          <span class={ui.muted}>model {props.config.model.name}</span>
          <span class={ui.spacer} />
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Posting…' : 'Post task'}
          </button>
        </div>
      </form>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {posted && (
        <p role="status">
          Task <code>{posted}</code> posted; the node bids on it, then assign
          the best bid from the task's page.
        </p>
      )}
    </section>
  )
}
