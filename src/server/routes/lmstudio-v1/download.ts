// POST /api/v1/models/download and GET /api/v1/models/download/status/:job_id.
import type { RequestHandler } from 'express'
import { z } from 'zod'
import type { DownloadStatus } from '../../../models/download/DownloadJobs.ts'
import { parseModelReference } from '../../../models/download/parseModelReference.ts'
import type { ServerContext } from '../../context.ts'
import { parseBody } from '../../validate/parseBody.ts'

const schema = z.strictObject({
  model: z.string().min(1),
  quantization: z.string().min(1).optional(),
})

export function startDownload(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const b = parseBody(schema, req.body)
    const ref = parseModelReference(b.model, b.quantization)
    const status = await ctx.downloads.start(ref.repo, ref.quantization)
    res.json(toBody(status, false))
  }
}

export function downloadStatus(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    res.json(toBody(ctx.downloads.status(String(req.params.job_id)), true))
  }
}

function toBody(s: DownloadStatus, detailed: boolean) {
  return {
    job_id: s.jobId,
    status: s.status,
    ...(s.totalBytes != null ? { total_size_bytes: s.totalBytes } : {}),
    started_at: s.startedAt.toISOString(),
    ...(s.completedAt ? { completed_at: s.completedAt.toISOString() } : {}),
    ...(detailed
      ? {
          downloaded_bytes: s.downloadedBytes,
          bytes_per_second: s.bytesPerSecond,
          estimated_completion: s.estimatedCompletion?.toISOString() ?? null,
        }
      : {}),
    ...(s.error ? { error: s.error.message } : {}),
  }
}
