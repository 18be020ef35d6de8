import { describe, expect, it } from "vitest";
import type { PolicyView } from "./bindings";
import { errorKey } from "./errors";
import { translate } from "./i18n";
import { badges, classificationKey, exportButton, exportKey, PENDING_MS, shownPolicy, stillPending } from "./policy";

const normal: PolicyView = { readerWatermark: false, export: "allowed", classification: "normal" };
const strict: PolicyView = { readerWatermark: true, export: "forbidden", classification: "normal" };

describe("the readers' policy in the UI", () => {
  it("shows a change at once and until the synced document has it, or for at most PENDING_MS", () => {
    const pending = { policy: strict, since: 1_000 };
    expect(shownPolicy(normal, pending, 2_000)).toEqual(strict);
    expect(stillPending(normal, pending, 2_000)).toBe(true);
    // The sync brought it: nothing pending any more.
    expect(shownPolicy(strict, pending, 3_000)).toEqual(strict);
    expect(stillPending(strict, pending, 3_000)).toBe(false);
    // Never shown by the sync (refused, or changed by someone else): the synced one wins.
    expect(shownPolicy(normal, pending, 1_000 + PENDING_MS + 1)).toEqual(normal);
    expect(stillPending(normal, pending, 1_000 + PENDING_MS + 1)).toBe(false);
    expect(shownPolicy(normal, undefined, 5)).toEqual(normal);
  });

  it("disables export for a forbidden or classified document and names a watermarked copy", () => {
    expect(exportButton("forbidden", "normal")).toEqual({ enabled: false, key: "policy.exportForbidden" });
    expect(exportButton("allowed", "secret")).toEqual({ enabled: false, key: "policy.exportForbidden" });
    expect(exportButton("watermarked", "normal")).toEqual({ enabled: true, key: "policy.exportWatermarked" });
    expect(exportButton("allowed", "normal")).toEqual({ enabled: true, key: "annot.export" });
    // The reader's watermark goes into an exported copy too, even where export is plainly allowed.
    expect(exportButton("allowed", "normal", true)).toEqual({ enabled: true, key: "policy.exportWatermarked" });
    expect(exportButton("forbidden", "normal", true)).toEqual({ enabled: false, key: "policy.exportForbidden" });
  });

  it("marks a document with its classification first, then its watermark and export", () => {
    expect(badges(normal)).toEqual([]);
    expect(badges(null)).toEqual([]);
    expect(badges({ readerWatermark: true, export: "forbidden", classification: "top_secret" })).toEqual([
      "policy.class.top_secret",
      "policy.badgeWatermark",
      "policy.badgeNoExport",
    ]);
  });

  it("names every choice, and an unknown value as the mildest", () => {
    expect(exportKey("watermarked")).toBe("policy.export.watermarked");
    expect(exportKey("x")).toBe("policy.export.allowed");
    expect(classificationKey("confidential")).toBe("policy.class.confidential");
    expect(classificationKey("")).toBe("policy.class.normal");
  });

  it("explains a refused export in both languages", () => {
    const refused = { code: "export_forbidden", message: "export is forbidden", attemptsLeft: null, retryAfterSecs: null };
    expect(errorKey(refused)).toBe("error.export_forbidden");
    expect(translate("vi", errorKey(refused))).toContain("không được xuất");
    expect(translate("en", errorKey(refused))).toContain("may not be exported");
  });
});
