import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createIdleTimer } from "./idle";

describe("auto-lock idle timer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("fires once after the timeout without activity", () => {
    const onIdle = vi.fn();
    createIdleTimer(1000, onIdle);
    vi.advanceTimersByTime(999);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("starts over on activity and never fires once stopped", () => {
    const onIdle = vi.fn();
    const idle = createIdleTimer(1000, onIdle);
    vi.advanceTimersByTime(800);
    idle.poke();
    vi.advanceTimersByTime(800);
    expect(onIdle).not.toHaveBeenCalled();
    idle.stop();
    vi.advanceTimersByTime(5000);
    expect(onIdle).not.toHaveBeenCalled();
  });
});
