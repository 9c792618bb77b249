// The transport of the open asset: one HTMLMediaElement (the video, or the audio under the waveform),
// with the editor's shuttle (J/K/L, reverse played by stepping, since browsers play only forwards),
// single-frame steps and the in and out marks. Components share one Player through provide/inject.

import { computed, reactive, type InjectionKey } from "vue";
import { frameAt, timeOfFrame, type Clock } from "./timecode";

export const SHUTTLE_SPEEDS = [1, 2, 4, 8] as const;

export interface PlayerState {
  time: number;
  duration: number;
  paused: boolean;
  /** negative while shuttling backwards */
  speed: number;
  markIn: number | null;
  markOut: number | null;
  clock: Clock;
}

export class Player {
  readonly state: PlayerState;
  private media: HTMLMediaElement | null = null;
  private reverseFrame = 0;
  private reverseLast = 0;
  private detach: (() => void) | null = null;

  constructor(clock: Clock) {
    this.state = reactive<PlayerState>({
      time: 0,
      duration: 0,
      paused: true,
      speed: 0,
      markIn: null,
      markOut: null,
      clock,
    });
  }

  get element(): HTMLMediaElement | null {
    return this.media;
  }

  attach(media: HTMLMediaElement | null): void {
    this.detach?.();
    this.detach = null;
    this.media = media;
    if (!media) return;
    const sync = (): void => {
      this.state.time = media.currentTime;
      if (Number.isFinite(media.duration)) this.state.duration = media.duration;
      this.state.paused = media.paused && this.reverseFrame === 0;
      if (media.paused && this.reverseFrame === 0) this.state.speed = 0;
    };
    const events = ["timeupdate", "durationchange", "loadedmetadata", "play", "pause", "seeked", "ended", "ratechange"];
    for (const name of events) media.addEventListener(name, sync);
    this.detach = () => {
      for (const name of events) media.removeEventListener(name, sync);
    };
    sync();
  }

  get frame(): number {
    return frameAt(this.state.time, this.state.clock);
  }

  seek(seconds: number): void {
    const media = this.media;
    const end = this.state.duration || media?.duration || 0;
    const time = Math.max(0, Number.isFinite(end) && end > 0 ? Math.min(seconds, end) : seconds);
    this.state.time = time;
    if (media) media.currentTime = time;
  }

  seekFrame(frame: number): void {
    this.seek(timeOfFrame(frame, this.state.clock));
  }

  play(): void {
    this.stopReverse();
    const media = this.media;
    if (!media) return;
    media.playbackRate = 1;
    this.state.speed = 1;
    void media.play().catch(() => undefined);
  }

  pause(): void {
    this.stopReverse();
    this.media?.pause();
    this.state.speed = 0;
    this.state.paused = true;
  }

  toggle(): void {
    if (this.state.paused) this.play();
    else this.pause();
  }

  /** L: play forwards, faster at each press (1×, 2×, 4×, 8×). */
  forward(): void {
    const media = this.media;
    if (!media) return;
    const next = this.state.speed > 0 ? nextSpeed(this.state.speed) : 1;
    this.stopReverse();
    media.playbackRate = next;
    this.state.speed = next;
    void media.play().catch(() => undefined);
  }

  /** J: play backwards, faster at each press. */
  backward(): void {
    const media = this.media;
    if (!media) return;
    const next = this.state.speed < 0 ? -nextSpeed(-this.state.speed) : -1;
    media.pause();
    this.state.speed = next;
    this.state.paused = false;
    if (this.reverseFrame === 0) {
      this.reverseLast = performance.now();
      this.reverseFrame = requestAnimationFrame(this.reverseTick);
    }
  }

  /** One frame forwards (1) or backwards (-1), paused. */
  step(frames: number): void {
    this.pause();
    this.seekFrame(this.frame + frames);
  }

  /** I: the in point at the start of the frame under the playhead. */
  markInHere(): void {
    this.state.markIn = this.snapped();
    if (this.state.markOut !== null && this.state.markOut <= this.state.markIn) this.state.markOut = null;
  }

  /** O: the out point (exclusive) at the start of the frame under the playhead. */
  markOutHere(): void {
    this.state.markOut = this.snapped();
    if (this.state.markIn !== null && this.state.markIn >= this.state.markOut) this.state.markIn = null;
  }

  clearMarks(): void {
    this.state.markIn = null;
    this.state.markOut = null;
  }

  dispose(): void {
    this.stopReverse();
    this.detach?.();
    this.detach = null;
    this.media = null;
  }

  private readonly reverseTick = (now: number): void => {
    const media = this.media;
    if (!media || this.state.speed >= 0) {
      this.reverseFrame = 0;
      return;
    }
    const elapsed = (now - this.reverseLast) / 1000;
    this.reverseLast = now;
    const target = media.currentTime + this.state.speed * elapsed;
    if (target <= 0) {
      media.currentTime = 0;
      this.stopReverse();
      this.state.speed = 0;
      this.state.paused = true;
      return;
    }
    if (!media.seeking) media.currentTime = target;
    this.state.time = target;
    this.reverseFrame = requestAnimationFrame(this.reverseTick);
  };

  private snapped(): number {
    return frameAt(this.state.time, this.state.clock) / this.state.clock.rate;
  }

  private stopReverse(): void {
    if (this.reverseFrame !== 0) cancelAnimationFrame(this.reverseFrame);
    this.reverseFrame = 0;
  }
}

function nextSpeed(speed: number): number {
  const found = SHUTTLE_SPEEDS.find((s) => s > speed);
  return found ?? SHUTTLE_SPEEDS[SHUTTLE_SPEEDS.length - 1]!;
}

export const PLAYER: InjectionKey<Player> = Symbol("player");

/** The marked range, when both marks are set. */
export function markedRange(player: Player) {
  return computed(() => {
    const { markIn, markOut } = player.state;
    return markIn !== null && markOut !== null && markOut > markIn ? { start: markIn, end: markOut } : null;
  });
}
