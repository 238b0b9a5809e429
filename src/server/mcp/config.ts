// mcp.json, in LM Studio's (Cursor's) notation:
// `{ "mcpServers": { "<name>": { "command", "args", "env", "cwd" } |
// { "url", "headers" } } }`, plus our optional per-server `allowedTools`
// allow-list. Read once at server start; a malformed file is an error
// naming the field.
import { readFileSync } from 'node:fs'
import { z } from 'zod'

const allowed = z.array(z.string()).optional()
const serverSchema = z.union([
  z.strictObject({
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    allowedTools: allowed,
  }),
  z.strictObject({
    url: z.url(),
    headers: z.record(z.string(), z.string()).optional(),
    allowedTools: allowed,
  }),
])

export const mcpConfigSchema = z.object({
  mcpServers: z.record(z.string().regex(/^[\w.-]+$/), serverSchema),
})

export type McpServerConfig = z.output<typeof serverSchema>
export type McpConfig = z.output<typeof mcpConfigSchema>

export function readMcpConfig(path: string): McpConfig {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new Error(`[mcp] cannot read ${path}: ${(e as Error).message}`)
  }
  const r = mcpConfigSchema.safeParse(json)
  if (r.success) return r.data
  const issue = r.error.issues[0]
  throw new Error(
    `[mcp] ${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
  )
}
