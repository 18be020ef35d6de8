import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { get } from "svelte/store";
import { createCountdown } from "./countdown";

describe("wrong-PIN countdown", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("counts whole seconds down to zero and stops", () => {
    const c = createCountdown(() => Date.now());
    c.start(3);
    expect(get(c)).toBe(3);
    vi.advanceTimersByTime(1000);
    expect(get(c)).toBe(2);
    vi.advanceTimersByTime(1500);
    expect(get(c)).toBe(1);
    vi.advanceTimersByTime(600);
    expect(get(c)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("restarts on a new delay and can be stopped", () => {
    const c = createCountdown(() => Date.now());
    c.start(2);
    vi.advanceTimersByTime(1000);
    c.start(8);
    expect(get(c)).toBe(8);
    c.stop();
    expect(get(c)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("shows nothing for a zero delay", () => {
    const c = createCountdown(() => Date.now());
    c.start(0);
    expect(get(c)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
