// The chair console's shared bits.
import { isIpcError } from "./ipc";
import { errorKey } from "./errors";
import type { MessageKey } from "./i18n";

/** Chair actions need the server: "offline" gets its own explanation. */
export function chairErrorKey(e: unknown): MessageKey {
  return isIpcError(e) && e.code === "offline" ? "chair.offline" : errorKey(e);
}
