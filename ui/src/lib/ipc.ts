// The only module that calls Tauri's `invoke`. Every command the UI uses has
// one typed wrapper here; the types come from Rust (bindings.ts, generated).
import { invoke } from "@tauri-apps/api/core";
import type { AppInfo, IpcError } from "./bindings";

export type { AppInfo, IpcError } from "./bindings";

function isIpcError(e: unknown): e is IpcError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** Calls a command; failures are always an `IpcError` with a closed `code`. */
async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isIpcError(e)) throw e;
    const err: IpcError = { code: "internal", message: String(e) };
    throw err;
  }
}

export const ipc = {
  appInfo: () => call<AppInfo>("app_info"),
};
