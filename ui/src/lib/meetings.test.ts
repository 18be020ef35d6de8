import { describe, expect, it } from "vitest";
import type { MeetingSummary } from "./bindings";
import { formatDateTime, meetingSyncState, splitMeetings } from "./meetings";

const meeting = (id: string, startsAt: number, over: Partial<MeetingSummary> = {}): MeetingSummary => ({
  id,
  title: id,
  location: "",
  startsAt,
  status: "published",
  versionsTotal: 3,
  versionsReady: 3,
  versionsRejected: 0,
  ...over,
});

describe("meetings list", () => {
  it("splits upcoming (soonest first) from past (latest first)", () => {
    const now = 1_000_000;
    const { upcoming, past } = splitMeetings(
      [meeting("later", now + 50), meeting("old", now - 500), meeting("soon", now + 10), meeting("recent", now - 5), meeting("now", now)],
      now,
    );
    expect(upcoming.map((m) => m.id)).toEqual(["now", "soon", "later"]);
    expect(past.map((m) => m.id)).toEqual(["recent", "old"]);
  });

  it("formats dates the Vietnamese and the British way", () => {
    const ms = Date.UTC(2026, 10, 5, 7, 30); // 5 Nov 2026 07:30 UTC
    const vi = formatDateTime(ms, "vi", "Asia/Ho_Chi_Minh");
    const en = formatDateTime(ms, "en", "Asia/Ho_Chi_Minh");
    expect(vi).toContain("05/11/2026");
    expect(vi).toContain("14:30");
    expect(en).toContain("05/11/2026");
    expect(en).toContain("14:30");
    expect(vi).not.toBe(en);
  });

  it("says per meeting whether documents are downloaded, downloading or refused", () => {
    expect(meetingSyncState(meeting("a", 0))).toEqual({ kind: "downloaded" });
    expect(meetingSyncState(meeting("a", 0, { versionsReady: 1 }))).toEqual({ kind: "downloading", done: 1, total: 3 });
    expect(meetingSyncState(meeting("a", 0, { versionsReady: 2, versionsRejected: 1 }))).toEqual({ kind: "error", rejected: 1 });
    expect(meetingSyncState(meeting("a", 0, { versionsTotal: 0, versionsReady: 0 }))).toEqual({ kind: "empty" });
  });
});
