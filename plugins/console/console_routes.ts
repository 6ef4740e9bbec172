import { Hono } from "hono";
import type { HttpBindings } from "../http/serve.ts";
import { CONSOLE_CSS, CONSOLE_HTML, CONSOLE_JS } from "./console_assets.ts";

/** Everything the page loads comes from this server: no CDN, works offline. */
const SECURITY_HEADERS = {
  "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-cache",
};

/**
 * The web console at /console: a tree browser with live updates, sessions, watches, the ensemble
 * and charts, all read through the gateway and the AdminServer of the same listener.
 *
 * @example app.route("/", consoleRoutes());
 */
export function consoleRoutes(): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();
  const asset = (body: string, type: string) => () => new Response(body, { headers: { ...SECURITY_HEADERS, "Content-Type": type } });
  app.get("/", (c) => c.redirect("/console"));
  app.get("/console", asset(CONSOLE_HTML, "text/html; charset=utf-8"));
  app.get("/console/", (c) => c.redirect("/console"));
  app.get("/console/app.js", asset(CONSOLE_JS, "text/javascript; charset=utf-8"));
  app.get("/console/app.css", asset(CONSOLE_CSS, "text/css; charset=utf-8"));
  return app;
}
