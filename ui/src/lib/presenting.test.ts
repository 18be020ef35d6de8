import { describe, expect, it } from "vitest";
import type { PresentationView } from "./bindings";
import { translate } from "./i18n";
import { followAction, followBanner, presentingHere, shownRegion } from "./presenting";

const chairShows = (
  versionId: string | null, page: number, mine = false, region: [number, number, number, number] | null = null,
): PresentationView => ({
  meetingId: "m1", presenterId: "u-chair", presenterName: "Trần Văn Chủ Tọa", versionId, page, region, step: 3, mine, canPresent: mine,
});

describe("following the presenter", () => {
  it("goes to the presenter's page, or opens the presented document", () => {
    expect(followAction(chairShows("v1", 4), true, "v1")).toEqual({ kind: "goto", page: 4, region: null });
    expect(followAction(chairShows("v1", 4, false, [0.25, 0.5, 0.75, 1]), true, "v1"))
      .toEqual({ kind: "goto", page: 4, region: { x: 0.25, y: 0.5, w: 0.5, h: 0.5 } });
    expect(followAction(chairShows("v2", 0), true, "v1")).toEqual({ kind: "open", versionId: "v2", page: 0 });
  });

  it("stays put when I read on my own, when nothing is shown, and when I present", () => {
    expect(followAction(chairShows("v1", 4), false, "v1")).toEqual({ kind: "none" });
    expect(followAction(chairShows(null, 0), true, "v1")).toEqual({ kind: "none" });
    expect(followAction(chairShows("v1", 4, true), true, "v1")).toEqual({ kind: "none" });
    expect(followAction(null, true, "v1")).toEqual({ kind: "none" });
  });

  it("says who presents, with the way out and the way back, in both languages", () => {
    const on = followBanner(chairShows("v1", 2), true)!;
    expect(on.action).toBe("leave");
    expect(translate("vi", on.key, on.params)).toBe("Đang theo dõi Trần Văn Chủ Tọa trình chiếu");
    const away = followBanner(chairShows("v1", 2), false)!;
    expect(away.action).toBe("back");
    expect(translate("en", away.key, away.params)).toBe("Trần Văn Chủ Tọa is presenting");
    expect(followBanner(chairShows("v1", 2, true), true)).toBeNull();
    expect(followBanner(chairShows(null, 0), true)).toBeNull();
  });

  it("draws the region pointed at for the presenter and for followers only", () => {
    const at = chairShows("v1", 2, false, [0, 0.5, 0.5, 0.75]);
    expect(shownRegion(at, true, "v1")).toEqual({ page: 2, region: { x: 0, y: 0.5, w: 0.5, h: 0.25 } });
    expect(shownRegion(at, false, "v1")).toBeNull();
    expect(shownRegion(at, true, "v2")).toBeNull();
    expect(shownRegion(chairShows("v1", 2, true, [0, 0.5, 0.5, 0.75]), false, "v1")?.page).toBe(2);
    expect(shownRegion(chairShows("v1", 2), true, "v1")).toBeNull();
  });

  it("knows when this viewer is the one presenting", () => {
    expect(presentingHere(chairShows("v1", 0, true), "v1")).toBe(true);
    expect(presentingHere(chairShows("v1", 0, true), "v2")).toBe(false);
    expect(presentingHere(chairShows("v1", 0, false), "v1")).toBe(false);
  });
});
