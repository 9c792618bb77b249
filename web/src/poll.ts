// Keeping a page current: the API's event stream (GET /api/v1/events, server-sent events) where the
// role may read it, a refresh at most once a second while events of the given types arrive (and a slow
// poll for what a broken stream missed); else polling every few seconds. Only while the page is visible.
import { onMounted, onUnmounted } from "vue";
import { apiUrl } from "./api";
import { can } from "./session";

export const POLL_MS = 3000;
const STREAMING_POLL_MS = 30_000;
const THROTTLE_MS = 1000;

/** Every 3 s, or what localStorage `mam.pollMs` says (at least 200 ms: tests). */
function interval(): number {
  const stored = Number(globalThis.localStorage?.getItem("mam.pollMs"));
  return Number.isFinite(stored) && stored >= 200 ? stored : POLL_MS;
}

export const JOB_EVENTS = ["job.queued", "job.started", "job.progress", "job.done", "job.failed", "job.cancelled"];
export const ASSET_EVENTS = [
  "asset.created",
  "asset.updated",
  "asset.deleted",
  "job.done",
  "job.failed",
  "rendition.ready",
  "share.granted",
  "share.revoked",
];

export function useLive(refresh: () => Promise<unknown> | void, types: string[]): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: ReturnType<typeof setTimeout> | undefined;
  let source: EventSource | null = null;
  let streaming = false;
  let stopped = false;
  let last = 0;

  const run = async (): Promise<void> => {
    last = Date.now();
    try {
      await refresh();
    } catch {
      // the next event or tick tries again; the page shows errors of the requests a person made
    }
  };

  const soon = (): void => {
    if (pending !== undefined || stopped) return;
    pending = setTimeout(
      () => {
        pending = undefined;
        void run();
      },
      Math.max(0, THROTTLE_MS - (Date.now() - last)),
    );
  };

  const tick = async (): Promise<void> => {
    if (stopped) return;
    if (document.visibilityState === "visible") await run();
    if (!stopped) timer = setTimeout(() => void tick(), streaming ? STREAMING_POLL_MS : interval());
  };

  const listen = (): void => {
    if (!can("event:read") || typeof EventSource === "undefined") return;
    source = new EventSource(apiUrl("/events", { type: types }));
    source.onopen = () => {
      streaming = true;
    };
    source.onerror = () => {
      // EventSource reconnects by itself (Last-Event-ID); polling covers the time it is away
      streaming = source?.readyState === EventSource.OPEN;
      if (source?.readyState === EventSource.CLOSED) {
        source = null;
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(() => void tick(), interval());
      }
    };
    for (const type of types) source.addEventListener(type, soon);
  };

  onMounted(() => {
    listen();
    timer = setTimeout(() => void tick(), interval());
  });
  onUnmounted(() => {
    stopped = true;
    source?.close();
    if (timer !== undefined) clearTimeout(timer);
    if (pending !== undefined) clearTimeout(pending);
  });
}
