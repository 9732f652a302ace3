import { Elysia } from "elysia";

/** CORS for the one web origin that may call the API from elsewhere (WEB_BASE_URL), with credentials. */
export function cors(webBaseUrl: string) {
  const allowed = new URL(webBaseUrl).origin;
  return new Elysia({ name: "http.cors" }).onRequest(({ request, set }) => {
    const origin = request.headers.get("origin");
    if (origin !== allowed) return;
    set.headers["access-control-allow-origin"] = allowed;
    set.headers["access-control-allow-credentials"] = "true";
    set.headers.vary = "Origin";
    if (request.method === "OPTIONS") {
      return new Response(null, {
        status: 204,
        headers: {
          "access-control-allow-origin": allowed,
          "access-control-allow-credentials": "true",
          "access-control-allow-methods": "GET, POST, PATCH, DELETE",
          "access-control-allow-headers": request.headers.get("access-control-request-headers") ?? "content-type",
          "access-control-max-age": "600",
          vary: "Origin",
        },
      });
    }
  });
}
