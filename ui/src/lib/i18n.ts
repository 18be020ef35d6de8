// UI strings: Vietnamese first (the default), English second.
// Every key must exist in both languages; i18n.test.ts enforces it.
import { writable, derived, type Readable } from "svelte/store";

export type Lang = "vi" | "en";
export const LANGS: readonly Lang[] = ["vi", "en"];

const vi = {
  "app.title": "E-Cabinet",
  "app.subtitle": "Phòng họp không giấy",
  "about.heading": "Thông tin phiên bản",
  "about.appVersion": "Phiên bản ứng dụng",
  "about.pdfium": "Thư viện PDFium",
  "about.pdfiumMissing": "Không tải được PDFium",
  "about.loading": "Đang tải…",
  "lang.switch": "English",
  "lang.label": "Ngôn ngữ",
  "error.generic": "Đã có lỗi xảy ra. Vui lòng thử lại.",
  "error.pdfium_unavailable": "Không tìm thấy thư viện hiển thị PDF trên máy này.",
} as const;

export type MessageKey = keyof typeof vi;

const en: Record<MessageKey, string> = {
  "app.title": "E-Cabinet",
  "app.subtitle": "Paperless meeting room",
  "about.heading": "Version information",
  "about.appVersion": "App version",
  "about.pdfium": "PDFium library",
  "about.pdfiumMissing": "PDFium could not be loaded",
  "about.loading": "Loading…",
  "lang.switch": "Tiếng Việt",
  "lang.label": "Language",
  "error.generic": "Something went wrong. Please try again.",
  "error.pdfium_unavailable": "The PDF display library was not found on this computer.",
};

export const messages: Record<Lang, Record<MessageKey, string>> = { vi, en };

const STORAGE_KEY = "ecabinet.lang";

function initialLang(): Lang {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (saved === "vi" || saved === "en") return saved;
  } catch {
    // storage unavailable: fall back to the default
  }
  return "vi";
}

export const lang = writable<Lang>(initialLang());
lang.subscribe((l) => {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, l);
  } catch {
    // not persisted; the choice still holds for this session
  }
  if (typeof document !== "undefined") document.documentElement.lang = l;
});

export function translate(l: Lang, key: MessageKey): string {
  return messages[l][key];
}

/** `$t("key")` in components. */
export const t: Readable<(key: MessageKey) => string> = derived(lang, (l) => (key: MessageKey) => translate(l, key));

export function toggleLang(): void {
  lang.update((l) => (l === "vi" ? "en" : "vi"));
}
