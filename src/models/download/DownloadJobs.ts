// Background download jobs behind `POST /api/v1/models/download` and its
// status endpoint, in LM Studio's shape (job_id, status, sizes, rate, ETA).
import { randomUUID } from 'node:crypto'
import { JobNotFoundError } from '../errors.ts'
import { type DownloadModelParameters, downloadModel } from './downloadModel.ts'

export type DownloadJobStatus =
  | 'downloading'
  | 'completed'
  | 'failed'
  | 'already_downloaded'

export type DownloadJob = {
  jobId: string
  repo: string
  quantization: string | null
  status: DownloadJobStatus
  totalBytes: number | null
  downloadedBytes: number
  startedAt: Date
  completedAt: Date | null
  error: Error | null
  /** Resolves when the job ends (never rejects). */
  finished: Promise<void>
}

export type DownloadStatus = Omit<DownloadJob, 'finished'> & {
  bytesPerSecond: number | null
  estimatedCompletion: Date | null
}

type Defaults = Omit<
  DownloadModelParameters,
  'repo' | 'quantization' | 'onPlan' | 'onProgress'
>

export class DownloadJobs {
  #jobs = new Map<string, DownloadJob>()
  #defaults: Defaults

  constructor(defaults: Defaults = {}) {
    this.#defaults = defaults
  }

  /** Starts a job; resolves once the file list (and total size) is known. */
  async start(
    repo: string,
    quantization: string | null,
  ): Promise<DownloadStatus> {
    const cached = await downloadModel({
      ...this.#defaults,
      repo,
      quantization,
      offline: true,
    }).catch(() => null)
    const job: DownloadJob = {
      jobId: `job_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      repo,
      quantization,
      status: cached ? 'already_downloaded' : 'downloading',
      totalBytes: cached?.totalBytes ?? null,
      downloadedBytes: cached?.totalBytes ?? 0,
      startedAt: new Date(),
      completedAt: cached ? new Date() : null,
      error: null,
      finished: Promise.resolve(),
    }
    this.#jobs.set(job.jobId, job)
    if (cached) return this.status(job.jobId)
    let planned!: () => void
    const planKnown = new Promise<void>((resolve) => {
      planned = resolve
    })
    job.finished = downloadModel({
      ...this.#defaults,
      repo,
      quantization,
      onPlan: (plan) => {
        job.totalBytes = plan.totalBytes
        planned()
      },
      onProgress: (p) => {
        job.downloadedBytes = p.downloadedBytes
      },
    }).then(
      () => {
        job.status = 'completed'
        job.completedAt = new Date()
      },
      (error: Error) => {
        job.status = 'failed'
        job.error = error
        job.completedAt = new Date()
      },
    )
    await Promise.race([planKnown, job.finished])
    if (job.status === 'failed' && job.error) throw job.error
    return this.status(job.jobId)
  }

  status(jobId: string): DownloadStatus {
    const job = this.#jobs.get(jobId)
    if (!job) throw new JobNotFoundError(jobId)
    const { finished: _, ...rest } = job
    const end = job.completedAt ?? new Date()
    const seconds = (end.getTime() - job.startedAt.getTime()) / 1000
    const rate =
      seconds > 0 && job.status === 'downloading'
        ? job.downloadedBytes / seconds
        : null
    const eta =
      rate && job.totalBytes
        ? new Date(
            Date.now() + ((job.totalBytes - job.downloadedBytes) / rate) * 1000,
          )
        : null
    return { ...rest, bytesPerSecond: rate, estimatedCompletion: eta }
  }

  /** Waits for a job to end (tests, CLI). */
  async wait(jobId: string): Promise<DownloadStatus> {
    const job = this.#jobs.get(jobId)
    if (!job) throw new JobNotFoundError(jobId)
    await job.finished
    return this.status(jobId)
  }
}
