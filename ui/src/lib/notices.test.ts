import { describe, expect, it } from "vitest";
import { addBanners, liveBanners, noticeText, BANNER_MS, MAX_BANNERS } from "./notices";
import { translate } from "./i18n";
import type { NoticeKind, NoticeView } from "./bindings";

const notice = (kind: NoticeKind, id: string, title = "Tờ trình số 12"): NoticeView => ({
  kind,
  title,
  meetingId: "m1",
  meetingTitle: "Phiên họp thường kỳ tháng 11",
  targetId: id,
});

describe("notices", () => {
  it("words every kind in both languages with the item's title and the meeting", () => {
    const kinds: NoticeKind[] = ["motion_opened", "document_arrived", "new_version", "floor_granted"];
    for (const kind of kinds) {
      const vi = noticeText(notice(kind, "x"), (k, p) => translate("vi", k, p));
      const en = noticeText(notice(kind, "x"), (k, p) => translate("en", k, p));
      expect(vi.title).toContain("Tờ trình số 12");
      expect(en.title).toContain("Tờ trình số 12");
      expect(vi.title).not.toEqual(en.title);
      expect(vi.body).toBe("Phiên họp thường kỳ tháng 11");
    }
    expect(noticeText(notice("motion_opened", "x"), (k, p) => translate("en", k, p)).title).toBe(
      "Vote opened: Tờ trình số 12",
    );
  });

  it("puts the newest first, drops repeats and keeps at most the cap", () => {
    let b = addBanners([], [notice("document_arrived", "v1")], 0);
    b = addBanners(b, [notice("motion_opened", "mo1"), notice("document_arrived", "v1")], 10);
    expect(b.map((x) => x.key)).toEqual(["document_arrived:v1", "motion_opened:mo1"]);
    expect(b[0].shownAt).toBe(10); // shown again, so it stays longer
    const many = Array.from({ length: 9 }, (_, i) => notice("new_version", `v${i}`));
    expect(addBanners(b, many, 20)).toHaveLength(MAX_BANNERS);
    expect(addBanners(b, many, 20)[0].key).toBe("new_version:v8");
  });

  it("lets banners go after their time", () => {
    const b = addBanners([], [notice("floor_granted", "s1")], 1000);
    expect(liveBanners(b, 1000 + BANNER_MS - 1)).toHaveLength(1);
    expect(liveBanners(b, 1000 + BANNER_MS)).toHaveLength(0);
  });
});
