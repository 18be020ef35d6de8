import { describe, expect, it } from "vitest";
import type { MemberReadView, ReadStatusView } from "./bindings";
import { canSeeReadStatus, readMark, readStatusErrorKey, readTable } from "./reading";

const member = (memberId: string, downloadedAt: number | null, openedAt: number | null): MemberReadView => ({
  memberId,
  displayName: `Đại biểu ${memberId}`,
  downloadedAt,
  openedAt,
});

const view: ReadStatusView = {
  meetingId: "m1",
  enabled: true,
  documents: [
    { documentId: "d1", versionId: "v1", version: 2, title: "Báo cáo", members: [member("a", 10, 20), member("b", 15, null), member("c", null, null)] },
    { documentId: "d2", versionId: "v2", version: 1, title: "Tờ trình", members: [member("a", 11, null), member("b", null, null), member("c", null, null)] },
  ],
};

describe("read status", () => {
  it("is shown to the chair and the secretary only", () => {
    expect(canSeeReadStatus("chair")).toBe(true);
    expect(canSeeReadStatus("secretary")).toBe(true);
    expect(canSeeReadStatus("member")).toBe(false);
    expect(canSeeReadStatus(null)).toBe(false);
  });

  it("marks the furthest step with its time", () => {
    expect(readMark(member("a", 10, 20))).toEqual({ kind: "opened", at: 20 });
    expect(readMark(member("a", 10, null))).toEqual({ kind: "downloaded", at: 10 });
    expect(readMark(member("a", null, null))).toEqual({ kind: "none" });
    expect(readMark(undefined)).toEqual({ kind: "none" });
  });

  it("lays out members × documents with counts per document", () => {
    const { columns, rows } = readTable(view);
    expect(columns.map((c) => [c.title, c.downloaded, c.opened, c.total])).toEqual([
      ["Báo cáo", 2, 1, 3],
      ["Tờ trình", 1, 0, 3],
    ]);
    expect(rows.map((r) => r.memberId)).toEqual(["a", "b", "c"]);
    expect(rows[0].marks).toEqual([{ kind: "opened", at: 20 }, { kind: "downloaded", at: 11 }]);
    expect(rows[2].marks).toEqual([{ kind: "none" }, { kind: "none" }]);
  });

  it("has nothing to lay out without documents", () => {
    expect(readTable({ meetingId: "m", enabled: true, documents: [] })).toEqual({ columns: [], rows: [] });
  });

  it("explains being offline in its own words", () => {
    const offline = { code: "offline", message: "x", attemptsLeft: null, retryAfterSecs: null };
    expect(readStatusErrorKey(offline)).toBe("reading.offline");
    const forbidden = { ...offline, code: "forbidden" };
    expect(readStatusErrorKey(forbidden)).toBe("error.forbidden");
  });
});
