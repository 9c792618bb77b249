// vue-i18n: Simplified Chinese by default, English complete. Each part of the workspace keeps its own
// messages under its own top-level key: the shell's are in ./zh-CN.ts and ./en.ts; any folder may add
// `<folder>/locales/{zh-CN,en}.ts` exporting a default object `{ <key>: {...} }` (the asset page's key is
// `asset`), merged in here at build time. A missing key fails the type check (messages are typed by the
// zh-CN shell file) and, in the browser, warns in the console.

import { createI18n } from "vue-i18n";
import zhCN from "./zh-CN";
import en from "./en";

export type Locale = "zh-CN" | "en";
export const LOCALES: readonly Locale[] = ["zh-CN", "en"];
const STORED = "mam.locale";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Messages = Record<string, any>;

// Every locales/ folder below src/ (not this one), e.g. src/asset/locales/zh-CN.ts.
const parts = import.meta.glob<{ default: Messages }>("../*/locales/*.ts", { eager: true });

function merged(locale: Locale, base: Messages): Messages {
  const out: Messages = { ...base };
  for (const [path, module] of Object.entries(parts)) {
    if (path.endsWith(`/${locale}.ts`)) Object.assign(out, module.default);
  }
  return out;
}

function initialLocale(): Locale {
  const stored = globalThis.localStorage?.getItem(STORED);
  if (stored === "zh-CN" || stored === "en") return stored;
  return "zh-CN";
}

export const i18n = createI18n<[Messages], Locale, false>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: "zh-CN",
  messages: { "zh-CN": merged("zh-CN", zhCN), en: merged("en", en) },
  missingWarn: import.meta.env.DEV,
  fallbackWarn: import.meta.env.DEV,
});

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  globalThis.localStorage?.setItem(STORED, locale);
  document.documentElement.lang = locale;
}

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale;
}
