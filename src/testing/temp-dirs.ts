import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = "oo-test-"): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

const runDirs: ReturnType<typeof tempDir>[] = [];

/** A temporary directory that lives until the whole test run ends (see preload.ts). */
export function runTempDir(prefix: string): string {
  const dir = tempDir(prefix);
  runDirs.push(dir);
  return dir.path;
}

export function removeRunTempDirs() {
  for (const dir of runDirs.splice(0)) dir.cleanup();
}
