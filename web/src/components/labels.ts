// What the rows of a list share: their fixed words, looked up once per language (a list of 30 rows asks
// for the same dozen words hundreds of times per search), and following a plain link through the router.

import { computed } from "vue";
import { i18n } from "../i18n";
import { router } from "../router";

type Translate = (key: string, named?: Record<string, unknown>) => string;
const global = i18n.global as unknown as { t: Translate; locale: { value: string } };

/** The page's translator (for words with parameters, e.g. a title in an accessible name). */
export const t = (key: string, named?: Record<string, unknown>): string => global.t(key, named ?? {});

/** The page's language. */
export const locale = (): string => global.locale.value;

const known = computed(() => {
  void global.locale.value; // a new language, a new table
  return new Map<string, string>();
});

/** The words of ``key`` in the page's language (no parameters), looked up once per language. */
export function label(key: string): string {
  const table = known.value;
  let words = table.get(key);
  if (words === undefined) {
    words = t(key);
    table.set(key, words);
  }
  return words;
}

/** A plain anchor's click, followed by the router within the page (a click with a modifier key or
 * another button is the browser's: a new tab or window). */
export function follow(event: MouseEvent): void {
  const link = event.currentTarget as HTMLAnchorElement | null;
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  const url = new URL(link.href);
  void router.push(url.pathname + url.search + url.hash);
}
