// Small formatters shared by the shell's pages.

/** 83.4 -> "1:23"; 3725 -> "1:02:05"; null -> "–". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? `${h}:` : ""}${mm}:${String(s).padStart(2, "0")}`;
}

/** 1536 -> "1.5 KB" (binary units, as a file manager shows them). */
export function size(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

const formats = new Map<string, Intl.DateTimeFormat>();
const formatted = new Map<string, string>();
const FORMATTED_KEPT = 5000;

/** An ISO date-time in the page's language, to the minute. A list formats a date per row and per
 * search, mostly the same ones again, and each costs the browser about a tenth of a millisecond: one
 * formatter per language, and the last few thousand results kept. */
export function when(iso: string | null | undefined, locale: string): string {
  if (!iso) return "–";
  const key = `${locale} ${iso}`;
  const known = formatted.get(key);
  if (known !== undefined) return known;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  let format = formats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
    formats.set(locale, format);
  }
  if (formatted.size >= FORMATTED_KEPT) formatted.clear();
  const text = format.format(date);
  formatted.set(key, text);
  return text;
}

/** Calls `fn` `ms` after the last call (search as you type). */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
