// The endpoints every model namespace of the SDK has (`llm`, `embedding`):
// loadModel and getOrLoad channels (resolved / startLoading, progress,
// success), unloadModel, listLoaded, getModelInfo and getLoadConfig, plus
// resolving the SDK's model specifiers to loaded instances.
import { z } from 'zod'
import type { InstanceSnapshot } from '../../../models/residency/instance.ts'
import type { LocalModel } from '../../../models/types.ts'
import type { ServerContext } from '../../context.ts'
import { collapse, kvStackSchema, numberField } from '../kvConfig.ts'
import {
  type Domain,
  domainOf,
  instanceInfo,
  modelInfo,
  referenceOf,
} from '../modelInfo.ts'
import type { ChannelHandle, ChannelHandler, RpcHandler } from '../protocol.ts'
import { SdkError } from '../serializeError.ts'

export const specifierSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('query'),
    query: z.object({
      domain: z.string().optional(),
      identifier: z.string().optional(),
      path: z.string().optional(),
      vision: z.boolean().optional(),
    }),
  }),
  z.object({
    type: z.literal('instanceReference'),
    instanceReference: z.string(),
  }),
])

export type Specifier = z.output<typeof specifierSchema>

/** Parses an endpoint's parameter; a mismatch is an error the SDK shows. */
export function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
): z.output<S> {
  const r = schema.safeParse(value)
  if (r.success) return r.data
  const issue = r.error.issues[0]
  throw new SdkError(
    `Invalid parameter${issue?.path.length ? ` "${issue.path.join('.')}"` : ''}: ${issue?.message}`,
  )
}

const inDomain = (i: InstanceSnapshot, domain: Domain) =>
  domainOf(i.local) === domain

/** The loaded instance a specifier names, or undefined. */
export function findInstance(
  ctx: ServerContext,
  specifier: Specifier,
  domain: Domain,
): InstanceSnapshot | undefined {
  const loaded = ctx.residency.list().filter((i) => inDomain(i, domain))
  if (specifier.type === 'instanceReference')
    return loaded.find(
      (i) => referenceOf(i.model) === specifier.instanceReference,
    )
  const q = specifier.query
  return loaded.find(
    (i) =>
      (q.identifier === undefined ||
        ctx.residency.find(q.identifier)?.identifier === i.identifier) &&
      (q.path === undefined ||
        i.local.key === q.path ||
        i.local.path === q.path) &&
      (q.vision === undefined || (i.local.type === 'vlm') === q.vision),
  )
}

export function requireInstance(
  ctx: ServerContext,
  specifier: Specifier,
  domain: Domain,
): InstanceSnapshot {
  const found = findInstance(ctx, specifier, domain)
  if (found) return found
  throw new SdkError(
    specifier.type === 'instanceReference'
      ? 'This model instance is no longer loaded.'
      : `No loaded ${domain === 'llm' ? 'LLM' : 'embedding model'} matches ${JSON.stringify(specifier.query)}.`,
    `Load one first with client.${domain}.model("<model key>").`,
  )
}

function checkDomain(local: LocalModel, domain: Domain): void {
  if (domainOf(local) !== domain)
    throw new SdkError(
      `"${local.key}" is ${domain === 'llm' ? 'an embedding model' : 'not an embedding model'}.`,
      `Use client.${domainOf(local)} for it.`,
    )
}

const loadSchema = z.object({
  modelKey: z.string(),
  identifier: z.string().optional(),
  ttlMs: z.number().int().min(1).optional(),
  loadConfigStack: kvStackSchema,
})
const getOrLoadSchema = z.object({
  identifier: z.string(),
  loadTtlMs: z.number().int().min(1).optional(),
  loadConfigStack: kvStackSchema,
})

export function modelEndpoints(
  ctx: ServerContext,
  domain: Domain,
): {
  rpc: Record<string, RpcHandler>
  channels: Record<string, ChannelHandler>
} {
  const contextLength = (stack: z.output<typeof kvStackSchema>) =>
    numberField(collapse(stack), `${domain}.load.contextLength`)
  return {
    channels: {
      loadModel: async (creation, channel) => {
        const p = parse(loadSchema, creation)
        const local = await ctx.catalogue.resolve(p.modelKey)
        checkDomain(local, domain)
        channel.send({ type: 'resolved', info: modelInfo(local) })
        const progress = progressSender(channel, 'progress')
        progress(0)
        const snap = await ctx.residency.load(p.modelKey, {
          identifier: p.identifier,
          contextLength: contextLength(p.loadConfigStack),
          ttlSeconds: p.ttlMs === undefined ? undefined : p.ttlMs / 1000,
          onProgress: progress,
        })
        progress(1)
        channel.send({ type: 'success', info: instanceInfo(snap) })
        channel.close()
      },
      getOrLoad: async (creation, channel) => {
        const p = parse(getOrLoadSchema, creation)
        const loaded = ctx.residency.find(p.identifier)
        if (loaded) {
          checkDomain(loaded.local, domain)
          channel.send({ type: 'alreadyLoaded', info: instanceInfo(loaded) })
          channel.close()
          return
        }
        const local = await ctx.catalogue.resolve(p.identifier)
        checkDomain(local, domain)
        const options = {
          contextLength: contextLength(p.loadConfigStack),
          ttlSeconds:
            p.loadTtlMs === undefined ? undefined : p.loadTtlMs / 1000,
        }
        const progress = progressSender(channel, 'loadProgress')
        const onLoadStart = (identifier: string) => {
          channel.send({
            type: 'startLoading',
            identifier,
            info: modelInfo(local),
          })
          progress(0)
        }
        let snap: InstanceSnapshot | null
        if (ctx.residency.jit) {
          const lease = await ctx.residency.acquire(p.identifier, {
            ...options,
            onLoadStart,
            onLoadProgress: progress,
          })
          lease.release()
          snap = ctx.residency.find(lease.identifier)
        } else {
          onLoadStart(local.key)
          snap = await ctx.residency.load(p.identifier, {
            ...options,
            onProgress: progress,
          })
        }
        if (!snap)
          throw new SdkError(
            `"${p.identifier}" was unloaded right after loading.`,
          )
        progress(1)
        channel.send({ type: 'loadSuccess', info: instanceInfo(snap) })
        channel.close()
      },
    },
    rpc: {
      unloadModel: async (param) => {
        const { identifier } = parse(
          z.object({ identifier: z.string() }),
          param,
        )
        const inst = ctx.residency.find(identifier)
        if (inst) checkDomain(inst.local, domain)
        await ctx.residency.unload(identifier)
        return undefined
      },
      listLoaded: () =>
        ctx.residency
          .list()
          .filter((i) => inDomain(i, domain))
          .map(instanceInfo),
      getModelInfo: (param) => {
        const p = parse(
          z.object({
            specifier: specifierSchema,
            throwIfNotFound: z.boolean(),
          }),
          param,
        )
        if (p.throwIfNotFound)
          return instanceInfo(requireInstance(ctx, p.specifier, domain))
        const found = findInstance(ctx, p.specifier, domain)
        return found ? instanceInfo(found) : undefined
      },
      getLoadConfig: (param) => {
        const p = parse(z.object({ specifier: specifierSchema }), param)
        const inst = requireInstance(ctx, p.specifier, domain)
        return {
          fields: [
            { key: `${domain}.load.contextLength`, value: inst.contextLength },
          ],
        }
      },
    },
  }
}

/** Sends increasing load progress packets of `type`, each value once. */
function progressSender(
  channel: ChannelHandle,
  type: 'progress' | 'loadProgress',
): (fraction: number) => void {
  let last = -1
  return (fraction) => {
    if (fraction <= last) return
    last = fraction
    channel.send({ type, progress: fraction })
  }
}
