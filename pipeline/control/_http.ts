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

/** A key shaped like a field name, which an answer may repeat; other keys are not. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A path segment as an answer may show it: an index, a field-shaped key, else "(a key)". */
function segment(key: PropertyKey): string {
  return typeof key === "number" || FIELD_NAME.test(String(key)) ? String(key) : "(a key)";
}

/** Unknown keys, named when shaped like field names, else only counted. */
function unknownKeys(keys: readonly string[]): string {
  const named = keys.filter((key) => FIELD_NAME.test(key));
  const hidden = keys.length - named.length;
  const listed = hidden > 0 ? [...named, `${hidden} not shown`] : named;
  return `unknown field(s) (${listed.join(", ")}): only the documented fields are allowed`;
}

/**
 * "what: path: rule; ..." from a zod error, for a 400. A key the client sent is repeated
 * only when it is shaped like a field name (never markup or a value).
 */
export function describeIssues(what: string, error: z.ZodError): string {
  return `${what} is invalid: ${
    error.issues.map((issue) =>
      `${issue.path.map(segment).join(".") || "body"}: ${
        issue.code === "unrecognized_keys" ? unknownKeys(issue.keys) : issue.message
      }`
    ).join("; ")
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
