// Auto-lock: calls `onIdle` once after `timeoutMs` without member activity.
export interface IdleTimer {
  /** Activity seen: the wait starts over. */
  poke(): void;
  stop(): void;
}

export function createIdleTimer(timeoutMs: number, onIdle: () => void): IdleTimer {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onIdle();
    }, timeoutMs);
  };
  arm();
  return {
    poke: arm,
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** Locks after ten minutes without input, so an unattended tablet does not stay open. */
export const AUTO_LOCK_MS = 10 * 60 * 1000;

/** The DOM events that count as the member being there. */
export const ACTIVITY_EVENTS = ["pointerdown", "keydown", "wheel", "touchstart"] as const;
