/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import { get } from "svelte/store";
import { lang, messages, t, toggleLang, translate, LANGS } from "./i18n";

// Every part of the messages, as i18n.ts joins them.
const parts = import.meta.glob<{ vi: Record<string, string>; en: Record<string, string> }>(
  "./messages/*.ts",
  { eager: true },
);

describe("i18n", () => {
  it("has every key in every language, none empty", () => {
    const keys = Object.keys(messages.vi).sort();
    for (const l of LANGS) {
      expect(Object.keys(messages[l]).sort()).toEqual(keys);
      for (const k of keys) expect(messages[l][k as keyof typeof messages.vi].trim()).not.toBe("");
    }
  });

  it("joins every part of the messages, and no key is in two parts", () => {
    const seen = new Map<string, string>();
    for (const [file, part] of Object.entries(parts)) {
      for (const l of LANGS) {
        for (const [k, text] of Object.entries(part[l])) {
          expect(messages[l][k as keyof typeof messages.vi], `${file}: ${k}`).toBe(text);
        }
      }
      for (const k of Object.keys(part.vi)) {
        expect(seen.get(k), `${k} is in ${file} and ${seen.get(k)}`).toBeUndefined();
        seen.set(k, file);
      }
    }
    expect(Object.keys(parts).length).toBeGreaterThan(3);
    expect(seen.size).toBe(Object.keys(messages.vi).length);
  });

  it("starts in Vietnamese and switches to English and back", () => {
    expect(get(lang)).toBe("vi");
    expect(get(t)("about.appVersion")).toBe("Phiên bản ứng dụng");
    toggleLang();
    expect(get(lang)).toBe("en");
    expect(get(t)("about.appVersion")).toBe("App version");
    toggleLang();
    expect(get(lang)).toBe("vi");
  });

  it("remembers the choice across reloads", () => {
    lang.set("en");
    expect(localStorage.getItem("ecabinet.lang")).toBe("en");
    lang.set("vi");
  });

  it("translates English strings that differ from Vietnamese", () => {
    expect(translate("en", "app.subtitle")).not.toBe(translate("vi", "app.subtitle"));
  });
});

describe("i18n placeholders", () => {
  it("fills {name} placeholders in both languages", () => {
    expect(translate("vi", "unlock.wait", { n: 4 })).toBe("Vui lòng chờ 4 giây rồi thử lại.");
    expect(translate("en", "unlock.wrongPin", { n: 2 })).toContain("2 attempts left");
  });

  it("uses the same placeholders in both languages", () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(messages.vi) as (keyof typeof messages.vi)[]) {
      expect(names(messages.en[key]), key).toEqual(names(messages.vi[key]));
    }
  });
});
