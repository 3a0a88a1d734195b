/**
 * Helpers the route groups share: a JSON client error the app's `onError` passes through,
 * and a JSON body validated with zod whose every problem is named. They must never put a
 * received body value in an error message (it could be a secret): only paths and rules.
 */

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

/** A client error answered as `{ "error": message }` with `status`. */
export function httpError(status: ContentfulStatusCode, message: string): HTTPException {
  return new HTTPException(status, { res: Response.json({ error: message }, { status }) });
}

/** "what: path: rule; ..." from a zod error, for a 400. */
export function describeIssues(what: string, error: z.ZodError): string {
  return `${what} is invalid: ${
    error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ")
  }`;
}

/**
 * The request's JSON body, validated; 400 naming the problem otherwise. With
 * `emptyIsObject`, an empty body reads as `{}` (for requests whose fields are all optional).
 */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  what: string,
  emptyIsObject = false,
): Promise<z.infer<S>> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = emptyIsObject && text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw httpError(400, `${what} must be a JSON body`);
  }
  const result = schema.safeParse(body);
  if (!result.success) throw httpError(400, describeIssues(what, result.error));
  return result.data;
}
