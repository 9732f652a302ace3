import { Elysia } from "elysia";
import { type LegalPageProps, PrivacyPage, TermsPage } from "../../views/legal.tsx";
import type { Runtime } from "../runtime.ts";
import { LEGAL_VERSION } from "./service.ts";

/** The terms and the privacy notice, written for this instance's configuration and rendered once, when first asked for. */
export function legalRoutes({ config }: Runtime) {
  const props: LegalPageProps = {
    host: new URL(config.apiBaseUrl).host,
    version: LEGAL_VERSION,
    retentionDays: config.retentionDays,
    llmHost: config.llm.baseUrl ? new URL(config.llm.baseUrl).host : null,
    errorCapture: config.sentryDsn !== "",
  };
  let terms: ReturnType<typeof TermsPage> | null = null;
  let privacy: ReturnType<typeof PrivacyPage> | null = null;
  return new Elysia({ name: "legal" })
    .get("/legal/terms", () => (terms ??= TermsPage(props)))
    .get("/legal/privacy", () => (privacy ??= PrivacyPage(props)));
}
