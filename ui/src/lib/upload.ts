// Sending a (possibly 1 GB) PDF to the server in chunks, resuming after a
// dropped connection. The loop holds one slice of the file in memory at a
// time, and takes the server's word for how far it got: after a failure it
// asks the server's offset and resumes from there, since a chunk cut by the
// dropped connection is discarded by the server. Progress is the server's
// offset too, never what was merely sent.
import type { IpcError, UploadView } from "./bindings";
import { localeOf, type Lang } from "./i18n";

/** The shell refuses bigger chunks. */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
export const CHUNK_BYTES = 8 * 1024 * 1024;
/** Consecutive failed calls (without progress in between) before giving up. */
export const MAX_RETRIES = 10;

/** "sending" while the bytes go, "retrying" while waiting for the network,
 * "checking" once every byte is there and the server checks the PDF. */
export type UploadState = "sending" | "retrying" | "checking";

/** The shell's upload commands, after `start` opened the upload. */
export interface UploadCalls {
  chunk: (uploadId: string, offset: number, bytes: Uint8Array) => Promise<UploadView>;
  status: (uploadId: string) => Promise<UploadView>;
  finish: (uploadId: string) => Promise<string>;
  cancel: (uploadId: string) => Promise<void>;
}

export interface SendOptions {
  /** At most MAX_CHUNK_BYTES; CHUNK_BYTES by default. */
  chunkBytes?: number;
  /** `sent` is what the server holds, of `total` bytes. */
  onProgress?: (sent: number, total: number, state: UploadState) => void;
  /** Waits between retries; returns early when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  maxRetries?: number;
  /** Aborting cancels the upload on the server; `sendFile` then rejects with `UploadCancelled`. */
  signal?: AbortSignal;
}

/** The user cancelled the upload (it is dropped on the server too). */
export class UploadCancelled extends Error {
  constructor() {
    super("upload cancelled");
    this.name = "UploadCancelled";
  }
}

export function isUploadCancelled(e: unknown): e is UploadCancelled {
  return e instanceof UploadCancelled;
}

/** The wait before retry number `failures` (1-based): 1 s, 2 s, 4 s … at most 15 s. */
export function backoffMs(failures: number): number {
  return Math.min(15_000, 1000 * 2 ** Math.max(0, failures - 1));
}

function isOffline(e: unknown): boolean {
  return typeof e === "object" && e !== null && "code" in e && (e as IpcError).code === "offline";
}

function protocolError(message: string): IpcError {
  return { code: "internal", message, attemptsLeft: null, retryAfterSecs: null };
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** `p`, or `UploadCancelled` as soon as `signal` aborts (the call itself
 * cannot be stopped; its late outcome is ignored). */
function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new UploadCancelled());
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Sends `file` through an upload that `start` opens, and answers the
 * document id once the server has checked and kept it.
 *
 * An `offline` failure is retried with backoff from the offset the server
 * states; any other failure, too many failures in a row, or an abort cancel
 * the upload on the server (best effort) and reject with the original error
 * (`UploadCancelled` for an abort). A PDF the server refuses at the end
 * rejects with the server's code; the server has cleaned up already.
 */
export async function sendFile(
  file: Blob,
  start: () => Promise<UploadView>,
  calls: UploadCalls,
  opts: SendOptions = {},
): Promise<string> {
  const { signal, onProgress } = opts;
  const chunkBytes = Math.max(1, Math.min(MAX_CHUNK_BYTES, Math.floor(opts.chunkBytes ?? CHUNK_BYTES)));
  const sleep = opts.sleep ?? defaultSleep;
  const maxRetries = opts.maxRetries ?? MAX_RETRIES;
  const total = file.size;

  const stopIfAborted = () => {
    if (signal?.aborted) throw new UploadCancelled();
  };
  /** The server's offset, refused when it cannot be one for this file. */
  const checked = (v: UploadView): number => {
    if (!Number.isSafeInteger(v.offset) || v.offset < 0 || v.offset > total) {
      throw protocolError(`server offset ${v.offset} outside 0..${total}`);
    }
    return v.offset;
  };

  stopIfAborted();
  const opened = await abortable(start(), signal);
  const uploadId = opened.uploadId;
  let offset: number;
  let failures = 0;
  let refused = false;

  try {
    offset = checked(opened);
    onProgress?.(offset, total, "sending");

    /** After an offline failure: wait, then ask the server where it is. */
    const resume = async (err: unknown): Promise<number> => {
      for (;;) {
        failures += 1;
        if (failures > maxRetries) throw err;
        onProgress?.(offset, total, "retrying");
        await abortable(sleep(backoffMs(failures), signal), signal);
        stopIfAborted();
        try {
          return checked(await abortable(calls.status(uploadId), signal));
        } catch (e) {
          if (!isOffline(e)) throw e;
          err = e;
        }
      }
    };

    for (;;) {
      stopIfAborted();
      if (offset < total) {
        try {
          const end = Math.min(offset + chunkBytes, total);
          const bytes = new Uint8Array(await file.slice(offset, end).arrayBuffer());
          const next = checked(await abortable(calls.chunk(uploadId, offset, bytes), signal));
          // A chunk the server took must move it forward, or this would loop forever.
          if (next <= offset) throw protocolError(`server offset stayed at ${next} after a chunk from ${offset}`);
          offset = next;
          failures = 0;
          onProgress?.(offset, total, "sending");
        } catch (e) {
          if (!isOffline(e)) throw e;
          offset = await resume(e);
          onProgress?.(offset, total, "sending");
        }
      } else {
        onProgress?.(offset, total, "checking");
        try {
          // Not abortable: once the server is checking, the document may be kept whatever the UI does.
          return await calls.finish(uploadId);
        } catch (e) {
          // A refusal: the server has cleaned up. Offline: the answer was
          // lost; if the upload is still there, finish again.
          if (!isOffline(e)) {
            refused = true;
            throw e;
          }
          offset = await resume(e);
        }
      }
    }
  } catch (e) {
    if (!refused) await calls.cancel(uploadId).catch(() => undefined);
    throw e;
  }
}

/** Whole percent of the upload done, 100 only when every byte is there. */
export function uploadPercent(sent: number, total: number): number {
  if (total <= 0) return 100;
  return Math.min(100, Math.floor((sent * 100) / total));
}

/** Bytes as megabytes (10^6) in the language's number format; one decimal under 10 MB. */
export function formatMegabytes(bytes: number, lang: Lang, totalBytes = bytes): string {
  const digits = totalBytes < 10_000_000 ? 1 : 0;
  return new Intl.NumberFormat(localeOf(lang), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
    Math.floor(bytes / 10 ** (6 - digits)) / 10 ** digits,
  );
}
