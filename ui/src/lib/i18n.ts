// UI strings: Vietnamese first (the default), English second.
// The messages live per part of the app in ./messages/; this file joins them
// into one lookup. Every key must exist in both languages; i18n.test.ts
// enforces it.
import { writable, derived, type Readable } from "svelte/store";
import * as shell from "./messages/shell";
import * as enrol from "./messages/enrol";
import * as meeting from "./messages/meeting";
import * as reader from "./messages/reader";
import * as votes from "./messages/votes";
import * as secretary from "./messages/secretary";
import * as admin from "./messages/admin";
import * as policy from "./messages/policy";
import * as presenting from "./messages/presenting";
import * as signatures from "./messages/signatures";
import * as comments from "./messages/comments";

export type Lang = "vi" | "en";
export const LANGS: readonly Lang[] = ["vi", "en"];

const vi = {
  ...shell.vi,
  ...enrol.vi,
  ...meeting.vi,
  ...reader.vi,
  ...votes.vi,
  ...secretary.vi,
  ...admin.vi,
  ...policy.vi,
  ...presenting.vi,
  ...signatures.vi,
  ...comments.vi,
} as const;

export type MessageKey = keyof typeof vi;

const en: Record<MessageKey, string> = {
  ...shell.en,
  ...enrol.en,
  ...meeting.en,
  ...reader.en,
  ...votes.en,
  ...secretary.en,
  ...admin.en,
  ...policy.en,
  ...presenting.en,
  ...signatures.en,
  ...comments.en,
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

export type Params = Record<string, string | number>;

/** The message for `key` in `l`, with `{name}` placeholders filled from `params`. */
export function translate(l: Lang, key: MessageKey, params?: Params): string {
  const text = messages[l][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** `$t("key")` or `$t("key", { n: 3 })` in components. */
export const t: Readable<(key: MessageKey, params?: Params) => string> = derived(
  lang,
  (l) => (key: MessageKey, params?: Params) => translate(l, key, params),
);

/** The BCP 47 locale for dates and numbers: vi-VN or en-GB. */
export function localeOf(l: Lang): string {
  return l === "vi" ? "vi-VN" : "en-GB";
}

export function toggleLang(): void {
  lang.update((l) => (l === "vi" ? "en" : "vi"));
}
