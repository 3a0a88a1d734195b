/**
 * The dashboard as two Hono sub-apps for the control plane to mount: the static page
 * (`/dashboard/`, no auth: it holds no data) and its data routes (`/v1/dashboard/`, behind
 * the control plane's Bearer auth): a JSON snapshot and the SSE stream of `sinks/sse.ts`.
 *
 * It must never put data in the unauthenticated page, nor check tokens itself: auth is
 * the mounting app's, so one check guards every route alike.
 */

import type { ControlMount } from "../app.ts";
import { type Context, Hono } from "hono";
import type { SseHub } from "@/sinks/sse.ts";
import indexHtml from "./static/index.html" with { type: "text" };
import appJs from "./static/app.js" with { type: "text" };
import appCss from "./static/app.css" with { type: "text" };
import { ATTRIBUTION, LIGHTWEIGHT_CHARTS_JS } from "@/vendor/lightweight-charts/mod.ts";

const HTML = "text/html; charset=utf-8";
const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** The page with the chart library's licence attribution (vendor/lightweight-charts) filled in. */
const PAGE = indexHtml.replace(
  "<!-- ATTRIBUTION -->",
  `${ATTRIBUTION.text} <a href="${ATTRIBUTION.href}" rel="noreferrer">${ATTRIBUTION.href}</a>`,
);

/** The page's files, imported as text: part of the module graph, so `deno compile` carries them. */
const STATIC_FILES: ReadonlyArray<readonly [string, string, string]> = [
  ["/app.js", appJs, JS],
  ["/app.css", appCss, CSS],
  ["/vendor/lightweight-charts.js", LIGHTWEIGHT_CHARTS_JS, JS],
];

/** The page loads only its own files and talks only to its own origin. */
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** The static shell: index.html, its script and styles, and the vendored Lightweight Charts. */
export function createDashboardPageApp(): Hono {
  const app = new Hono();
  const file = (c: Context, body: string, type: string) =>
    c.body(body, 200, { ...PAGE_HEADERS, "content-type": type });
  // Without the trailing slash the page's relative URLs would resolve one level up.
  app.get("", (c) => c.redirect(`${c.req.path}/`, 308));
  for (const [path, body, type] of STATIC_FILES) app.get(path, (c) => file(c, body, type));
  // A mounted "/" merges into the bare mount path, so the slashed one is matched here.
  app.get("/*", (c) => c.req.path.endsWith("/") ? file(c, PAGE, HTML) : c.notFound());
  return app;
}

/** The authenticated data routes over one hub. */
export function createDashboardDataApp(hub: SseHub): Hono {
  const app = new Hono();
  app.get("/snapshot", (c) => c.json(hub.snapshot(), 200, { "cache-control": "no-store" }));
  app.get("/stream", () =>
    new Response(hub.connect(), {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        // Asks a reverse proxy (nginx) not to hold frames back.
        "x-accel-buffering": "no",
      },
    }));
  return app;
}

/** Both sub-apps at their paths, ready for the control plane's `mounts`. */
export function dashboardMounts(hub: SseHub): ControlMount[] {
  return [
    { path: "/dashboard", app: createDashboardPageApp(), auth: false },
    { path: "/v1/dashboard", app: createDashboardDataApp(hub), auth: true },
  ];
}
