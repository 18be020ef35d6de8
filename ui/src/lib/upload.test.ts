// @vitest-environment node
// Node's Blob, like the webview's, reads a slice with arrayBuffer() (jsdom's cannot).
import { describe, expect, it } from "vitest";
import type { IpcError, IpcErrorCode, UploadView } from "./bindings";
import {
  backoffMs,
  CHUNK_BYTES,
  formatMegabytes,
  isUploadCancelled,
  sendFile,
  uploadPercent,
  type SendOptions,
  type UploadState,
} from "./upload";

const err = (code: IpcErrorCode): IpcError => ({ code, message: code, attemptsLeft: null, retryAfterSecs: null });

/** A file of `n` bytes that differ from one offset to the next. */
function fileOf(n: number): { blob: Blob; bytes: Uint8Array } {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  return { blob: new Blob([bytes], { type: "application/pdf" }), bytes };
}

/** -1 when `a` and `b` hold the same bytes, else the first offset where they differ. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

type Upload = { id: string; size: number; data: Uint8Array; offset: number };

/** The shell and server as the upload loop sees them, in memory. It keeps
 * whole chunks only, and can be told to misbehave the way networks do. */
class FakeServer {
  uploads = new Map<string, Upload>();
  kept: { documentId: string; bytes: Uint8Array }[] = [];
  cancelled: string[] = [];
  chunkCalls: { offset: number; length: number }[] = [];
  statusCalls = 0;
  finishCalls = 0;
  /** Chunks (by their offset) that fail `offline` once, before the server reads them. */
  dropBefore = new Set<number>();
  /** Chunks (by their offset) the server keeps but whose answer is lost (`offline`). */
  dropAfter = new Set<number>();
  /** Every call fails `offline` from now on. */
  down = false;
  /** The next status answer forgets everything after this offset (a lost tail). */
  loseTailTo: number | null = null;
  /** What finish answers instead of keeping the document. */
  refuseWith: IpcErrorCode | null = null;
  /** Fails the finish call offline once, after keeping the document. */
  finishAnswerLost = false;
  private next = 0;

  start = async (size: number): Promise<UploadView> => {
    if (this.down) throw err("offline");
    const id = `up-${++this.next}`;
    this.uploads.set(id, { id, size, data: new Uint8Array(size), offset: 0 });
    return this.view(id);
  };

  view(id: string): UploadView {
    const u = this.uploads.get(id)!;
    return { uploadId: id, documentId: `doc-${id}`, size: u.size, offset: u.offset };
  }

  private get(id: string): Upload {
    const u = this.uploads.get(id);
    if (!u) throw err("not_found");
    return u;
  }

  calls = {
    chunk: async (id: string, offset: number, bytes: Uint8Array): Promise<UploadView> => {
      this.chunkCalls.push({ offset, length: bytes.length });
      if (this.down) throw err("offline");
      if (this.dropBefore.delete(offset)) throw err("offline");
      const u = this.get(id);
      if (offset !== u.offset) throw err("conflict");
      if (bytes.length > 16 * 1024 * 1024 || offset + bytes.length > u.size) throw err("invalid_input");
      u.data.set(bytes, offset);
      u.offset += bytes.length;
      if (this.dropAfter.delete(offset)) throw err("offline");
      return this.view(id);
    },
    status: async (id: string): Promise<UploadView> => {
      this.statusCalls++;
      if (this.down) throw err("offline");
      const u = this.get(id);
      if (this.loseTailTo !== null) {
        u.offset = Math.min(u.offset, this.loseTailTo);
        u.data.fill(0, u.offset);
        this.loseTailTo = null;
      }
      return this.view(id);
    },
    finish: async (id: string): Promise<string> => {
      this.finishCalls++;
      if (this.down) throw err("offline");
      const u = this.get(id);
      if (u.offset !== u.size) throw err("invalid_input");
      this.uploads.delete(id);
      if (this.refuseWith) throw err(this.refuseWith);
      this.kept.push({ documentId: `doc-${id}`, bytes: u.data });
      if (this.finishAnswerLost) {
        this.finishAnswerLost = false;
        throw err("offline");
      }
      return `doc-${id}`;
    },
    cancel: async (id: string): Promise<void> => {
      this.cancelled.push(id);
      if (this.down) throw err("offline");
      this.uploads.delete(id);
    },
  };
}

type Progress = { sent: number; total: number; state: UploadState };

/** Sends `blob` to `server` with no real waiting; records progress and the waits. */
function send(server: FakeServer, blob: Blob, opts: SendOptions = {}) {
  const progress: Progress[] = [];
  const waits: number[] = [];
  const done = sendFile(blob, () => server.start(blob.size), server.calls, {
    sleep: async (ms) => {
      waits.push(ms);
    },
    onProgress: (sent, total, state) => progress.push({ sent, total, state }),
    ...opts,
  });
  return { done, progress, waits };
}

describe("chunked upload", () => {
  it("sends a multi-chunk file so the server keeps exactly its bytes", async () => {
    const server = new FakeServer();
    const { blob, bytes } = fileOf(10_000);
    const { done } = send(server, blob, { chunkBytes: 3000 });
    expect(await done).toBe("doc-up-1");
    expect(server.kept).toHaveLength(1);
    expect(firstDifference(server.kept[0].bytes, bytes)).toBe(-1);
    // One slice at a time, none larger than asked: 3000, 3000, 3000, 1000.
    expect(server.chunkCalls).toEqual([
      { offset: 0, length: 3000 },
      { offset: 3000, length: 3000 },
      { offset: 6000, length: 3000 },
      { offset: 9000, length: 1000 },
    ]);
    expect(server.cancelled).toEqual([]);
  });

  it("uses 8 MiB chunks unless told otherwise, and never more than 16 MiB", async () => {
    const server = new FakeServer();
    const { blob, bytes } = fileOf(CHUNK_BYTES + 5);
    expect(await send(server, blob).done).toBe("doc-up-1");
    expect(server.chunkCalls.map((c) => c.length)).toEqual([8 * 1024 * 1024, 5]);
    expect(firstDifference(server.kept[0].bytes, bytes)).toBe(-1);

    const big = new FakeServer();
    const f = fileOf(17 * 1024 * 1024);
    await send(big, f.blob, { chunkBytes: 64 * 1024 * 1024 }).done;
    expect(big.chunkCalls.map((c) => c.length)).toEqual([16 * 1024 * 1024, 1024 * 1024]);
    expect(firstDifference(big.kept[0].bytes, f.bytes)).toBe(-1);
  });

  it("resumes after a dropped connection from the offset the server states", async () => {
    const server = new FakeServer();
    const { blob, bytes } = fileOf(10_000);
    server.dropBefore.add(6000); // the third chunk is cut: the server has 6000 bytes
    const { done, progress, waits } = send(server, blob, { chunkBytes: 3000 });
    expect(await done).toBe("doc-up-1");
    expect(firstDifference(server.kept[0].bytes, bytes)).toBe(-1);
    expect(server.chunkCalls.map((c) => c.offset)).toEqual([0, 3000, 6000, 6000, 9000]);
    expect(server.statusCalls).toBe(1);
    expect(waits).toEqual([1000]);
    expect(progress).toContainEqual({ sent: 6000, total: 10_000, state: "retrying" });
  });

  it("does not send a chunk twice when only the server's answer was lost", async () => {
    const server = new FakeServer();
    const { blob, bytes } = fileOf(10_000);
    server.dropAfter.add(3000); // kept, but the app hears "offline"
    const { done } = send(server, blob, { chunkBytes: 3000 });
    expect(await done).toBe("doc-up-1");
    expect(firstDifference(server.kept[0].bytes, bytes)).toBe(-1);
    expect(server.chunkCalls.map((c) => c.offset)).toEqual([0, 3000, 6000, 9000]);
  });

  it("goes back to what the server still has when it lost the tail", async () => {
    const server = new FakeServer();
    const { blob, bytes } = fileOf(10_000);
    server.dropBefore.add(9000);
    server.loseTailTo = 3000; // on resuming, the server says it only has 3000 bytes
    const { done, progress } = send(server, blob, { chunkBytes: 3000 });
    expect(await done).toBe("doc-up-1");
    expect(firstDifference(server.kept[0].bytes, bytes)).toBe(-1);
    expect(server.chunkCalls.map((c) => c.offset)).toEqual([0, 3000, 6000, 9000, 3000, 6000, 9000]);
    // Progress follows the server down rather than claim bytes it lost.
    const afterResume = progress.findIndex((p) => p.state === "retrying") + 1;
    expect(progress[afterResume]).toEqual({ sent: 3000, total: 10_000, state: "sending" });
  });

  it("reports progress that only grows, never past the server's offset, and ends at 100 %", async () => {
    const server = new FakeServer();
    const { blob } = fileOf(10_000);
    server.dropBefore.add(2500);
    server.dropBefore.add(5000);
    const held: number[] = [];
    const status = server.calls.status;
    server.calls.status = async (id) => {
      const v = await status(id);
      held.push(v.offset);
      return v;
    };
    const chunk = server.calls.chunk;
    server.calls.chunk = async (id, offset, bytes) => {
      const v = await chunk(id, offset, bytes);
      held.push(v.offset);
      return v;
    };
    const { done, progress } = send(server, blob, { chunkBytes: 2500 });
    await done;
    const sent = progress.map((p) => p.sent);
    for (let i = 1; i < sent.length; i++) expect(sent[i]).toBeGreaterThanOrEqual(sent[i - 1]);
    for (const s of sent) expect(s === 0 || held.includes(s)).toBe(true);
    expect(progress.every((p) => p.total === 10_000)).toBe(true);
    expect(progress.at(-1)).toEqual({ sent: 10_000, total: 10_000, state: "checking" });
    expect(uploadPercent(progress.at(-1)!.sent, 10_000)).toBe(100);
  });

  it("rejects with the server's code when it refuses the PDF, and leaves the cleaning to it", async () => {
    const server = new FakeServer();
    server.refuseWith = "unreadable_pdf";
    const { blob } = fileOf(5000);
    await expect(send(server, blob, { chunkBytes: 2000 }).done).rejects.toMatchObject({ code: "unreadable_pdf" });
    expect(server.kept).toEqual([]);
    expect(server.cancelled).toEqual([]);
  });

  it("cancels the upload on the server when the user aborts, and says it was cancelled", async () => {
    const server = new FakeServer();
    const { blob } = fileOf(10_000);
    const ctl = new AbortController();
    const chunk = server.calls.chunk;
    server.calls.chunk = async (id, offset, bytes) => {
      const v = await chunk(id, offset, bytes);
      if (offset === 3000) ctl.abort(); // the user presses Cancel during the second chunk
      return v;
    };
    const { done } = send(server, blob, { chunkBytes: 3000, signal: ctl.signal });
    const e = await done.catch((x: unknown) => x);
    expect(isUploadCancelled(e)).toBe(true);
    expect(server.cancelled).toEqual(["up-1"]);
    expect(server.uploads.size).toBe(0);
    expect(server.kept).toEqual([]);
    expect(server.chunkCalls.map((c) => c.offset)).toEqual([0, 3000]);
  });

  it("stops waiting for the network as soon as the user aborts", async () => {
    const server = new FakeServer();
    const { blob } = fileOf(10_000);
    const ctl = new AbortController();
    server.dropBefore.add(3000);
    const { done } = send(server, blob, {
      chunkBytes: 3000,
      signal: ctl.signal,
      sleep: () => {
        ctl.abort(); // pressed while "reconnecting" is shown
        return new Promise(() => undefined); // a wait that would never end by itself
      },
    });
    expect(isUploadCancelled(await done.catch((x: unknown) => x))).toBe(true);
    expect(server.cancelled).toEqual(["up-1"]);
    expect(server.statusCalls).toBe(0);
  });

  it("gives up after ten failures in a row, cancels, and reports being offline", async () => {
    const server = new FakeServer();
    const { blob } = fileOf(10_000);
    const chunk = server.calls.chunk;
    server.calls.chunk = async (id, offset, bytes) => {
      if (offset === 3000) server.down = true; // the network goes and does not come back
      return chunk(id, offset, bytes);
    };
    const { done, waits } = send(server, blob, { chunkBytes: 3000 });
    await expect(done).rejects.toMatchObject({ code: "offline" });
    expect(waits).toEqual([1000, 2000, 4000, 8000, 15_000, 15_000, 15_000, 15_000, 15_000, 15_000]);
    expect(server.statusCalls).toBe(10);
    expect(server.cancelled).toEqual(["up-1"]);
    expect(server.kept).toEqual([]);
  });

  it("counts failures in a row only: progress in between starts the count again", async () => {
    const server = new FakeServer();
    const { blob, bytes } = fileOf(10_000);
    for (const o of [0, 1000, 2000, 3000, 4000, 5000]) server.dropBefore.add(o);
    const { done, waits } = send(server, blob, { chunkBytes: 1000, maxRetries: 1 });
    expect(await done).toBe("doc-up-1");
    expect(firstDifference(server.kept[0].bytes, bytes)).toBe(-1);
    expect(waits).toEqual([1000, 1000, 1000, 1000, 1000, 1000]);
  });

  it("cancels and rethrows any failure other than a dropped connection", async () => {
    const server = new FakeServer();
    const { blob } = fileOf(10_000);
    const chunk = server.calls.chunk;
    server.calls.chunk = async (id, offset, bytes) => {
      if (offset === 3000) throw err("forbidden");
      return chunk(id, offset, bytes);
    };
    const { done, waits } = send(server, blob, { chunkBytes: 3000 });
    await expect(done).rejects.toMatchObject({ code: "forbidden" });
    expect(waits).toEqual([]);
    expect(server.cancelled).toEqual(["up-1"]);
  });

  it("finishes again when the server's answer to finishing was lost but the upload is still there", async () => {
    const server = new FakeServer();
    const { blob, bytes } = fileOf(4000);
    const finish = server.calls.finish;
    let first = true;
    server.calls.finish = async (id) => {
      if (first) {
        first = false;
        throw err("offline"); // never reached the server
      }
      return finish(id);
    };
    expect(await send(server, blob, { chunkBytes: 3000 }).done).toBe("doc-up-1");
    expect(server.kept).toHaveLength(1);
    expect(firstDifference(server.kept[0].bytes, bytes)).toBe(-1);
    expect(server.cancelled).toEqual([]);
  });

  it("finishes a zero-byte file straight away", async () => {
    const server = new FakeServer();
    server.refuseWith = "not_pdf";
    await expect(send(server, new Blob([])).done).rejects.toMatchObject({ code: "not_pdf" });
    expect(server.chunkCalls).toEqual([]);
    expect(server.finishCalls).toBe(1);
  });

  it("calls nothing on the server when aborted before it starts", async () => {
    const server = new FakeServer();
    const ctl = new AbortController();
    ctl.abort();
    const { done } = send(server, fileOf(100).blob, { signal: ctl.signal });
    expect(isUploadCancelled(await done.catch((x: unknown) => x))).toBe(true);
    expect(server.uploads.size).toBe(0);
    expect(server.cancelled).toEqual([]);
  });

  it("refuses an offset the server could not have, instead of sending garbage", async () => {
    const server = new FakeServer();
    const { blob } = fileOf(10_000);
    server.calls.chunk = async (id) => ({ ...server.view(id), offset: 20_000 });
    await expect(send(server, blob, { chunkBytes: 3000 }).done).rejects.toMatchObject({ code: "internal" });
    expect(server.cancelled).toEqual(["up-1"]);
  });
});

describe("upload progress text", () => {
  it("waits 1 s, 2 s, 4 s … and never more than 15 s", () => {
    expect([1, 2, 3, 4, 5, 6, 20].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  });

  it("says 100 % only when every byte is there", () => {
    expect(uploadPercent(0, 1000)).toBe(0);
    expect(uploadPercent(450, 1000)).toBe(45);
    expect(uploadPercent(999, 1000)).toBe(99);
    expect(uploadPercent(1000, 1000)).toBe(100);
  });

  it("shows megabytes in each language's number format, never rounding up", () => {
    expect(formatMegabytes(1_000_000_000, "en")).toBe("1,000");
    expect(formatMegabytes(1_000_000_000, "vi")).toBe("1.000");
    expect(formatMegabytes(450_999_999, "en", 1_000_000_000)).toBe("450");
    expect(formatMegabytes(2_550_000, "vi")).toBe("2,5");
    expect(formatMegabytes(2_550_000, "en")).toBe("2.5");
  });
});
