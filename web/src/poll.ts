// Refresh something every few seconds while the page is visible (until the API's event stream is used).
import { onMounted, onUnmounted } from "vue";

export const POLL_MS = 3000;

/** Every 3 s, or what localStorage `mam.pollMs` says (at least 200 ms: tests). */
function interval(): number {
  const stored = Number(globalThis.localStorage?.getItem("mam.pollMs"));
  return Number.isFinite(stored) && stored >= 200 ? stored : POLL_MS;
}

export function usePolling(refresh: () => Promise<unknown> | void, ms = interval()): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (stopped) return;
    if (document.visibilityState === "visible") {
      try {
        await refresh();
      } catch {
        // the next tick tries again; the page shows errors of the requests a person made
      }
    }
    if (!stopped) timer = setTimeout(() => void tick(), ms);
  };
  onMounted(() => {
    timer = setTimeout(() => void tick(), ms);
  });
  onUnmounted(() => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  });
}
