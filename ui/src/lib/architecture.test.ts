// The UI reaches Rust only through ipc.ts (ARCHITECTURE.md, "Invariants").
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|svelte)$/.test(name) && !name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("IPC boundary", () => {
  it("only lib/ipc.ts imports Tauri's invoke", () => {
    // vitest runs from ui/ (npm test)
    const root = join(process.cwd(), "src");
    const offenders = sourceFiles(root)
      .filter((f) => /@tauri-apps\/api\/core|\binvoke\s*[<(]/.test(readFileSync(f, "utf8")))
      .map((f) => relative(root, f));
    expect(offenders).toEqual(["lib/ipc.ts"]);
  });
});
