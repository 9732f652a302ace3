/**
 * `bun run db:generate [--name x] [--custom]`: runs drizzle-kit generate with those arguments, then
 * writes src/db/migrations.gen.ts, one static import per migration in the journal, so that
 * `bun build --compile` embeds every SQL file. A test fails when the two drift apart.
 */
const args = process.argv.slice(2);
if (args[0] === "--generate") {
  const generate = Bun.spawnSync(["bunx", "drizzle-kit", "generate", ...args.slice(1)], { stdout: "inherit", stderr: "inherit" });
  if (generate.exitCode !== 0) process.exit(generate.exitCode ?? 1);
}

// Imported after generating, so the journal read is the fresh one.
const { renderEmbeddedMigrations } = await import("../src/db/migrations-manifest.ts");
const target = new URL("../src/db/migrations.gen.ts", import.meta.url);
await Bun.write(target, renderEmbeddedMigrations());
console.log(`wrote ${target.pathname}`);
