/**
 * Smoke check of a running oO: /health, the home page and the static assets it links to; with the
 * instance's ADMIN_TOKEN, the owner signs in and every page the console links to, the account page
 * and the console's JSON answer 200, and a query runs in the SQL runner's own process (the
 * executable is built apart from the tests' source).
 */
const [base, adminToken] = process.argv.slice(2);
if (!base) throw new Error("usage: bun scripts/ci/smoke.ts <base url> [admin token]");

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

if (adminToken) {
  const signIn = await fetch(`${base}/api/auth/token`, {
    method: "POST",
    // Not from a browser (no Origin, no Sec-Fetch-Site), as automation signs in.
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: adminToken }),
  });
  if (!signIn.ok) throw new Error(`admin token sign-in answered ${signIn.status}: ${await signIn.text()}`);
  const cookie = signIn.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`, { headers: { cookie }, redirect: "manual" });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${path} answered ${response.status} to the owner: ${body.slice(0, 300)}`);
    return body;
  };
  const overview = await get("/admin");
  const pages = [...new Set([...overview.matchAll(/href="(\/admin[^"#?]*)"/g)].map((match) => match[1]!))];
  if (pages.length < 5) throw new Error(`the console's overview links only ${pages.length} pages`);
  for (const path of [...pages, "/account", "/api/admin/stats", "/api/admin/health"]) await get(path);
  // The SQL runner runs each query in a process of its own: the executable started again as `oo sql-query`.
  const query = await fetch(`${base}/api/admin/sql`, {
    method: "POST",
    headers: { cookie, "content-type": "application/json" },
    body: JSON.stringify({ sql: "SELECT count(*) AS people, 'ok' AS status FROM users" }),
  });
  const answer = (await query.json()) as { rows?: unknown[][] };
  if (query.status !== 200 || JSON.stringify(answer.rows) !== JSON.stringify([[1, "ok"]])) throw new Error(`the SQL runner answered ${query.status}: ${JSON.stringify(answer)}`);
  console.log(`smoke: the owner signed in with the admin token; ${pages.length} console pages, /account, the console's JSON and a SQL query answered`);
}

export {};
