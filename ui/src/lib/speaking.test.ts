import { describe, expect, it } from "vitest";
import { clockText, extendedLimit, speakingClock } from "./speaking";

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
