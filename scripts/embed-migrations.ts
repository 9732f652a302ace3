/**
 * Writes src/db/migrations.gen.ts: one static import per migration in the drizzle-kit journal,
 * so `bun build --compile` embeds every SQL file in the executable.
 * Run by `bun run db:generate` after drizzle-kit; a test fails when the two drift apart.
 */
import { renderEmbeddedMigrations } from "../src/db/migrations-manifest.ts";

const target = new URL("../src/db/migrations.gen.ts", import.meta.url);
await Bun.write(target, renderEmbeddedMigrations());
console.log(`wrote ${target.pathname}`);
