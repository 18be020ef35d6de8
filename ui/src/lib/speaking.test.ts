import { describe, expect, it } from "vitest";
import { clockText, extendedLimit, floorTime, minutesText, parseMinutes, speakingClock } from "./speaking";

// The chair gave the floor at 09:00:00 server time with 3 minutes.
const GRANTED = Date.UTC(2026, 11, 4, 2, 0, 0);
const LIMIT = 180_000;

describe("the speaking timer", () => {
  it("counts down in the server's time, so a device whose clock is minutes off shows the same time left", () => {
    // 70 s into the turn, on the server's clock.
    const serverNow = GRANTED + 70_000;
    const right = speakingClock(GRANTED, LIMIT, serverNow, 0);
    // A tablet 7 minutes slow, and one 4 min 30 s fast, with the offsets their syncs measured.
    const slow = speakingClock(GRANTED, LIMIT, serverNow - 420_000, 420_000);
    const fast = speakingClock(GRANTED, LIMIT, serverNow + 270_000, -270_000);
    for (const c of [right, slow, fast]) {
      expect(c).toEqual({ elapsedMs: 70_000, remainingMs: 110_000, over: false });
      expect(clockText(c.remainingMs!, true)).toBe("1:50");
    }
    // Without the offset, the slow tablet would have shown the turn not started.
    expect(speakingClock(GRANTED, LIMIT, serverNow - 420_000, 0).elapsedMs).toBe(0);
  });

  it("shows 0:00 only when the time is up, then counts the overrun up", () => {
    expect(clockText(speakingClock(GRANTED, LIMIT, GRANTED + 179_001, 0).remainingMs!, true)).toBe("0:01");
    const up = speakingClock(GRANTED, LIMIT, GRANTED + 180_000, 0);
    expect(up.over).toBe(false);
    expect(clockText(up.remainingMs!, true)).toBe("0:00");
    const over = speakingClock(GRANTED, LIMIT, GRANTED + 245_000, 0);
    expect(over.over).toBe(true);
    expect(clockText(over.remainingMs!, true)).toBe("1:05");
  });

  it("shows the time spoken when there is no limit, and long turns with hours", () => {
    const c = speakingClock(GRANTED, null, GRANTED + 3_725_400, 0);
    expect(c.remainingMs).toBeNull();
    expect(c.over).toBe(false);
    expect(clockText(c.elapsedMs, false)).toBe("1:02:05");
  });

  it("adds a minute to the limit, or to the time spoken when there was none", () => {
    expect(extendedLimit(LIMIT, 200_000, 60_000)).toBe(240_000);
    expect(extendedLimit(null, 95_000, 60_000)).toBe(155_000);
  });
});

describe("an agenda item's time on the floor", () => {
  const serverPut = 1_800_000_000_000;
  it("adds the current stretch to the earlier ones, in server time, whatever the device clock says", () => {
    const item = { plannedMinutes: 20, timeOnFloorMs: 5 * 60_000, onFloorSince: serverPut };
    // The device's clock is 7 minutes behind the server's; 3 minutes have passed.
    const offset = 7 * 60_000;
    const deviceNow = serverPut - offset + 3 * 60_000;
    const t = floorTime(item, deviceNow, offset);
    expect(t.elapsedMs).toBe(8 * 60_000);
    expect(t.plannedMs).toBe(20 * 60_000);
    expect(t.over).toBe(false);
    expect(clockText(t.elapsedMs, false)).toBe("8:00");
  });
  it("is over once past the plan, and stops counting off the floor", () => {
    const off = floorTime({ plannedMinutes: 10, timeOnFloorMs: 11 * 60_000, onFloorSince: null }, 0, 0);
    expect(off).toEqual({ elapsedMs: 11 * 60_000, plannedMs: 10 * 60_000, over: true });
    const unplanned = floorTime({ plannedMinutes: null, timeOnFloorMs: 0, onFloorSince: serverPut }, serverPut + 1000, 0);
    expect(unplanned.over).toBe(false);
    expect(unplanned.plannedMs).toBeNull();
  });
  it("never counts a negative stretch when the device is ahead of the record", () => {
    expect(floorTime({ plannedMinutes: 5, timeOnFloorMs: 0, onFloorSince: serverPut }, serverPut - 5000, 0).elapsedMs).toBe(0);
  });
});

describe("minutes typed in a field", () => {
  it("reads whole and decimal minutes, either separator; empty is none", () => {
    expect(parseMinutes("3", 1000, 4 * 3_600_000)).toBe(180_000);
    expect(parseMinutes(" 2,5 ", 1000, 4 * 3_600_000)).toBe(150_000);
    expect(parseMinutes("1.5", 1000, 4 * 3_600_000)).toBe(90_000);
    expect(parseMinutes("", 1000, 4 * 3_600_000)).toBeNull();
  });
  it("refuses what is not a number or out of range", () => {
    for (const bad of ["abc", "-1", "0", "241", "1e3"]) {
      expect(parseMinutes(bad, 1000, 4 * 3_600_000)).toBe("invalid");
    }
  });
});

describe("minutesText", () => {
  it("shows a limit in minutes that parseMinutes reads back", () => {
    expect(minutesText(null)).toBe("");
    expect(minutesText(180_000)).toBe("3");
    expect(minutesText(150_000)).toBe("2.5");
    expect(minutesText(100_000)).toBe("1.67");
    for (const ms of [60_000, 90_000, 150_000, 4 * 3_600_000]) {
      expect(parseMinutes(minutesText(ms), 1000, 4 * 3_600_000)).toBe(ms);
    }
  });
});
