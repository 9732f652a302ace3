import { describe, expect, test } from "bun:test";
import { createTestApp } from "../testing/harness.ts";
import { LEGAL_VERSION } from "./service.ts";

describe("legal pages", () => {
  test("terms and privacy describe this instance: operator host, version, retention, cookies", async () => {
    const context = createTestApp({ API_BASE_URL: "https://oo.example.org", RETENTION_DAYS: "45" });
    const terms = await context.request("/legal/terms");
    expect(terms.status).toBe(200);
    expect(terms.headers.get("content-type")).toContain("text/html");
    const termsText = await terms.text();
    expect(termsText).toContain("oo.example.org");
    expect(termsText).toContain(`Version ${LEGAL_VERSION}`);

    const privacy = await (await context.request("/legal/privacy")).text();
    for (const phrase of ["oo.example.org", "after 45 days", "<code>sid</code>", "oauth_state", "never sold", "Download my data", "Delete my account", "tombstone"]) {
      expect(privacy).toContain(phrase);
    }
    expect(privacy).not.toContain("language model");
  });

  test("the privacy notice names the LLM endpoint when tip generation is on", async () => {
    const context = createTestApp({ LLM_BASE_URL: "https://llm.example.net/v1" });
    expect(await (await context.request("/legal/privacy")).text()).toContain("llm.example.net");
  });
});
