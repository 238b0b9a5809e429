// The wire format of LM Studio's SDK (`@lmstudio/sdk`, lms-communication):
// one websocket per namespace (`/llm`, `/embedding`, `/system`, ...), an
// auth packet first, then JSON messages carrying RPC calls, channels (a
// stream of packets both ways, closed by the server) and signals. Values
// travel as plain JSON ("raw" serialization) for every endpoint served here;
// an `undefined` parameter is simply absent.
import { z } from 'zod'

export const authPacketSchema = z.object({
  authVersion: z.literal(1),
  clientIdentifier: z.string().max(256),
  clientPasskey: z.string().max(256),
})

const int = z.number().int()

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('communicationWarning'), warning: z.string() }),
  z.object({ type: z.literal('keepAlive') }),
  z.object({
    type: z.literal('channelCreate'),
    endpoint: z.string(),
    channelId: int,
    creationParameter: z.unknown().optional(),
  }),
  z.object({
    type: z.literal('channelSend'),
    channelId: int,
    message: z.unknown().optional(),
    ackId: int.optional(),
  }),
  z.object({ type: z.literal('channelAck'), channelId: int, ackId: int }),
  z.object({
    type: z.literal('rpcCall'),
    endpoint: z.string(),
    callId: int,
    parameter: z.unknown().optional(),
  }),
  z.object({
    type: z.literal('signalSubscribe'),
    endpoint: z.string(),
    subscribeId: int,
    creationParameter: z.unknown().optional(),
  }),
  z.object({ type: z.literal('signalUnsubscribe'), subscribeId: int }),
  z.object({
    type: z.literal('writableSignalSubscribe'),
    endpoint: z.string(),
    subscribeId: int,
    creationParameter: z.unknown().optional(),
  }),
  z.object({ type: z.literal('writableSignalUnsubscribe'), subscribeId: int }),
  z.object({
    type: z.literal('writableSignalUpdate'),
    subscribeId: int,
    patches: z.array(z.unknown()),
    tags: z.array(z.string()),
  }),
])

export type ClientMessage = z.output<typeof clientMessageSchema>

/** LM Studio's serialized error (`SerializedLMSExtendedError`). */
export type SerializedError = {
  title: string
  rootTitle: string
  cause?: string
  suggestion?: string
  stack?: string
}

export type ServerMessage =
  | { type: 'communicationWarning'; warning: string }
  | { type: 'keepAliveAck' }
  | { type: 'channelSend'; channelId: number; message: unknown }
  | { type: 'channelAck'; channelId: number; ackId: number }
  | { type: 'channelClose'; channelId: number }
  | { type: 'channelError'; channelId: number; error: SerializedError }
  | { type: 'rpcResult'; callId: number; result: unknown }
  | { type: 'rpcError'; callId: number; error: SerializedError }
  | { type: 'signalError'; subscribeId: number; error: SerializedError }
  | { type: 'writableSignalError'; subscribeId: number; error: SerializedError }

/** One open channel as an endpoint handler sees it. */
export interface ChannelHandle {
  send(packet: unknown): void
  /** Ends the channel normally (the client's promise settles). */
  close(): void
  /** Ends the channel with an error. */
  fail(error: unknown): void
  /** Packets the client sends (e.g. `{ type: "cancel" }`). */
  onMessage(listener: (packet: unknown) => void): void
  /** Aborted when the connection closes. */
  readonly signal: AbortSignal
}

export type RpcHandler = (parameter: unknown) => Promise<unknown> | unknown
export type ChannelHandler = (
  creationParameter: unknown,
  channel: ChannelHandle,
) => Promise<void> | void

/** The endpoints one namespace serves. */
export type Namespace = {
  rpc: Record<string, RpcHandler>
  channels: Record<string, ChannelHandler>
}
