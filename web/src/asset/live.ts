// Keeping the open asset current: the API's event stream (GET /api/v1/events, server-sent events)
// where the role may read it, else polling (every 2 s while a job of the asset is queued or
// running, every 20 s otherwise). Either way `refresh` is called, at most once a second.

import { onBeforeUnmount, onMounted, watch, type Ref } from "vue";
import { apiUrl } from "@/api";

const TYPES = [
  "asset.updated",
  "job.queued",
  "job.started",
  "job.progress",
  "job.done",
  "job.failed",
  "job.cancelled",
  "rendition.ready",
  "share.granted",
  "share.revoked",
];

interface StreamedEvent {
  subject?: string;
  data?: { asset_id?: string };
}

export function useLiveAsset(
  id: Ref<string>,
  busy: () => boolean,
  refresh: () => Promise<void>,
  /** whether a subject (a job's id) is the asset's */
  knows: (subject: string) => boolean = () => false,
): void {
  let source: EventSource | null = null;
  let streaming = false;
  let timer = 0;
  let pending = 0;
  let last = 0;
  let stopped = false;

  const soon = (): void => {
    if (pending) return;
    const wait = Math.max(0, 1000 - (Date.now() - last));
    pending = window.setTimeout(() => {
      pending = 0;
      last = Date.now();
      void refresh().catch(() => undefined);
    }, wait);
  };

  const poll = (): void => {
    window.clearTimeout(timer);
    if (stopped) return;
    // with a live stream, a slow poll only covers what the stream could have missed
    const every = streaming ? 60_000 : busy() ? 2_000 : 20_000;
    timer = window.setTimeout(async () => {
      if (!document.hidden || busy()) {
        last = Date.now();
        await refresh().catch(() => undefined);
      }
      poll();
    }, every);
  };

  const listen = (): void => {
    source?.close();
    if (typeof EventSource === "undefined") return;
    const made = new EventSource(apiUrl("/events", { type: TYPES }), { withCredentials: true });
    source = made;
    made.onopen = () => {
      streaming = true;
      poll();
    };
    made.onerror = () => {
      if (made.readyState === EventSource.CLOSED) {
        // refused (no such route, or a role without event:read): polling it is
        streaming = false;
        source = null;
        poll();
      }
    };
    const heard = (event: MessageEvent<string>): void => {
      try {
        const parsed = JSON.parse(event.data) as StreamedEvent;
        const subject = parsed.subject ?? "";
        if (subject === id.value || parsed.data?.asset_id === id.value || knows(subject)) soon();
      } catch {
        // not ours to read
      }
    };
    for (const type of TYPES) made.addEventListener(type, heard as EventListener);
  };

  onMounted(() => {
    listen();
    poll();
  });
  watch(busy, () => poll());
  watch(id, () => soon());
  onBeforeUnmount(() => {
    stopped = true;
    source?.close();
    window.clearTimeout(timer);
    window.clearTimeout(pending);
  });
}
