// The EIP-712 domain and node key of the audit benchmarks: receipts are
// signed and checked exactly as on chain, but never sent anywhere.
import { privateKeyToAccount } from 'viem/accounts'

export const BENCH_DOMAIN = {
  chainId: 31337,
  verifyingContract: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
} as const

export const benchNodeAccount = privateKeyToAccount(`0x${'42'.repeat(32)}`)
