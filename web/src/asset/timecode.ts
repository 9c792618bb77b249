/** Frames, seconds and SMPTE timecodes (HH:MM:SS:FF) of one asset, at its frame rate. */

export interface Clock {
  /** frames per second (25 for PAL; 29.97 is counted as 30 frames a second, non-drop) */
  rate: number
  /** the frame number the source's timecode starts at (10:00:00:00 → 900000 at 25 fps) */
  startFrame: number
}

export function clockOf(rate: number | null | undefined, startTimecode: string | null | undefined): Clock {
  const fps = rate && rate > 0 ? rate : 25
  return { rate: fps, startFrame: startTimecode ? framesOf(startTimecode, fps) ?? 0 : 0 }
}

function base(rate: number): number {
  return Math.max(1, Math.round(rate))
}

/** The frame shown at ``seconds`` (a little tolerance for times that are a frame's start in floats). */
export function frameAt(seconds: number, clock: Clock): number {
  return Math.max(0, Math.floor(seconds * clock.rate + 1e-3))
}

/** A time inside frame ``frame`` (a hair after its start, so a seek lands on it and not the one before). */
export function timeOfFrame(frame: number, clock: Clock): number {
  return (Math.max(0, frame) + 0.01) / clock.rate
}

/** ``HH:MM:SS:FF`` for a frame count since 00:00:00:00. */
export function formatFrames(frames: number, rate: number): string {
  const fps = base(rate)
  const total = Math.max(0, Math.round(frames))
  const ff = total % fps
  const seconds = Math.floor(total / fps)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${pad(Math.floor(seconds / 3600) % 24)}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}:${pad(ff)}`
}

/** The source timecode at ``seconds`` into the asset. */
export function timecodeAt(seconds: number, clock: Clock): string {
  return formatFrames(clock.startFrame + frameAt(seconds, clock), clock.rate)
}

/** Frames since 00:00:00:00 of ``HH:MM:SS:FF`` (or ``;`` before the frames), null if it is not one. */
export function framesOf(timecode: string, rate: number): number | null {
  const match = /^(\d{2}):(\d{2}):(\d{2})[:;.](\d{2})$/.exec(timecode.trim())
  if (!match) return null
  const [h, m, s, f] = match.slice(1).map(Number)
  const fps = base(rate)
  if (m >= 60 || s >= 60 || f >= fps) return null
  return ((h * 60 + m) * 60 + s) * fps + f
}

/** ``m:ss`` or ``h:mm:ss`` for a duration. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '–'
  const whole = Math.round(seconds)
  const pad = (n: number) => String(n).padStart(2, '0')
  const h = Math.floor(whole / 3600)
  const m = Math.floor(whole / 60) % 60
  return h ? `${h}:${pad(m)}:${pad(whole % 60)}` : `${m}:${pad(whole % 60)}`
}
