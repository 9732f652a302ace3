/** Smoke check of a running oO: /health, the home page, and the static assets it links to. */
const base = process.argv[2];
if (!base) throw new Error("usage: bun scripts/ci/smoke.ts <base url>");

const deadline = Date.now() + 15_000;
for (;;) {
  try {
    const health = await fetch(`${base}/health`);
    if (health.ok && (await health.json()).ok === true) break;
  } catch {}
  if (Date.now() > deadline) throw new Error(`${base}/health never answered { ok: true }`);
  await Bun.sleep(100);
}

const page = await (await fetch(base)).text();
const assets = [...page.matchAll(/<(?:link[^>]+href|script[^>]+src)="(\/[^"]+)"/g)].map((match) => match[1]!);
if (!assets.some((path) => path.startsWith("/assets/"))) throw new Error("the home page links no versioned asset");
for (const path of assets) {
  const response = await fetch(`${base}${path}`);
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  await response.arrayBuffer();
}
console.log(`smoke: /health ok, ${assets.length} linked assets served (${assets.join(", ")})`);

export {};
