import { describe, expect, it } from "vitest";
import type { PolicyView } from "./bindings";
import { errorKey } from "./errors";
import { translate } from "./i18n";
import { badges, classificationKey, exportButton, exportKey, PENDING_MS, registerLines, shownPolicy, stillPending } from "./policy";

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

describe("the access register of a classified document", () => {
  const register = (truncated = false) => ({
    truncated,
    entries: [
      // 4 Dec 2026 09:30 UTC: 16:30 in Hà Nội.
      { userName: "Tra\u0302\u0300n Thi\u0323 Bi\u0300nh", deviceName: "Máy tính bảng phòng họp", version: 2, classification: "top_secret", at: Date.UTC(2026, 11, 4, 9, 30) },
      { userName: "Nguyễn Văn An", deviceName: null, version: 1, classification: "secret", at: Date.UTC(2026, 11, 3, 1, 5) },
    ],
  });

  it("says who, from which device, which version, at which level and when, newest first as sent", () => {
    const lines = registerLines(register(), "vi", "Asia/Ho_Chi_Minh");
    const text = lines.map((l) =>
      translate("vi", "policy.registerLine", { ...l.params, device: l.device ?? translate("vi", "policy.registerNoDevice"), level: translate("vi", l.level) }),
    );
    expect(text[0]).toBe("16:30 04/12/2026 — Trần Thị Bình (Máy tính bảng phòng họp), phiên bản 2, Tuyệt mật");
    expect(text[1]).toContain("Nguyễn Văn An (không rõ thiết bị), phiên bản 1, Tối mật");
    expect(translate("en", lines[1].level)).toBe("Secret (Tối mật)");
  });

  it("has nothing to list for a document nobody opened", () => {
    expect(registerLines({ truncated: false, entries: [] }, "en")).toEqual([]);
  });
});
