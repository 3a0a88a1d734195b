/**
 * Secrets (the API token, an LLM key) from the environment or a JSON file only its owner
 * can read. With no API token anywhere, the first start generates one into that file and
 * says where it is. It must never print, log or return a secret in a message: logs get
 * `mask(secret)`, and a file readable by group or others is refused, not read.
 */

import { dirname } from "node:path";
import { z } from "zod";
import { tokenFingerprint } from "./auth.ts";

/** Where `serve` keeps its secrets unless told otherwise. */
export const DEFAULT_SECRETS_FILE = "data/secrets.json";

/** Each secret's key in the file and the environment variable that overrides it. */
export const SECRET_ENV = {
  apiToken: "AIGS_API_TOKEN",
  llmApiKey: "AIGS_LLM_API_KEY",
  telegramBotToken: "AIGS_TELEGRAM_BOT_TOKEN",
} as const;
export type SecretName = keyof typeof SECRET_ENV;
export type Secrets = Partial<Record<SecretName, string>>;

/**
 * Characters a Bearer token may hold (RFC 6750 b64token); at least 16 of them, so a
 * guessable token such as "changeme" is refused at start-up rather than accepted.
 */
const TOKEN_RULE = "expected at least 16 characters of A-Z a-z 0-9 . _ ~ + / - (base64url works)";
const apiToken = z.string().regex(/^[A-Za-z0-9._~+/-]{16,}=*$/, { message: TOKEN_RULE });

const secretsFileSchema = z.object({
  apiToken: apiToken.optional(),
  llmApiKey: z.string().min(1).optional(),
  telegramBotToken: z.string().min(1).optional(),
}).strict();

export interface SecretsOptions {
  /** The secrets file; defaults to `DEFAULT_SECRETS_FILE`. */
  readonly file?: string;
  /** Reads an environment variable; defaults to `Deno.env.get`. */
  readonly env?: (name: string) => string | undefined;
}

/**
 * Refuses a file whose mode lets group or others read or write it. Windows reports no
 * mode, and there the check is skipped.
 */
export async function assertOwnerOnly(file: string): Promise<void> {
  const { mode } = await Deno.stat(file);
  if (mode !== null && (mode & 0o077) !== 0) {
    throw new Error(
      `Refusing to read secrets from ${file}: its mode is ${
        (mode & 0o777).toString(8).padStart(4, "0")
      }, readable by group or others; run \`chmod 600 ${file}\``,
    );
  }
}

/** The secrets file's contents, or an empty set when it does not exist. */
async function readSecretsFile(file: string): Promise<Secrets> {
  try {
    await assertOwnerOnly(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(file));
  } catch (error) {
    throw new Error(`Cannot read secrets from ${file}: ${(error as Error).message}`);
  }
  const result = secretsFileSchema.safeParse(json);
  if (!result.success) {
    // Only the keys are named: a value could be a secret.
    const problems = result.error.issues.map((issue) =>
      `${issue.path.join(".") || "file"}: ${issue.message}`
    );
    throw new Error(`Secrets file ${file} is invalid: ${problems.join("; ")}`);
  }
  return result.data;
}

/** Every configured secret: an environment variable wins over the file. */
export async function loadSecrets(options: SecretsOptions = {}): Promise<Secrets> {
  const file = options.file ?? DEFAULT_SECRETS_FILE;
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const secrets: Secrets = await readSecretsFile(file);
  for (const [name, variable] of Object.entries(SECRET_ENV) as [SecretName, string][]) {
    const value = env(variable);
    if (value === undefined) continue;
    if (name === "apiToken" && !apiToken.safeParse(value).success) {
      throw new Error(`${variable} is not a usable API token: ${TOKEN_RULE}`);
    }
    secrets[name] = value;
  }
  return secrets;
}

/**
 * The API token in `file`, for a client such as `models push`: either a secrets file
 * (`{ "apiToken": ... }`) or the token alone on one line; refused if group or others can
 * read it.
 */
export async function readApiTokenFile(file: string): Promise<string> {
  await assertOwnerOnly(file);
  const text = (await Deno.readTextFile(file)).trim();
  const token = text.startsWith("{")
    ? (await loadSecrets({ file, env: () => undefined })).apiToken
    : text;
  if (token === undefined || !apiToken.safeParse(token).success) {
    throw new Error(`No usable API token in ${file}: ${TOKEN_RULE}`);
  }
  return token;
}

export interface ApiToken {
  readonly token: string;
  /** Where the token came from, for the start-up log; never the token itself. */
  readonly message: string;
}

/**
 * The API token from the environment or the secrets file; with neither, a new one
 * (32 random bytes, base64url) written into the file with mode 0600, keeping any other
 * secret already there.
 */
export async function ensureApiToken(options: SecretsOptions = {}): Promise<ApiToken> {
  const file = options.file ?? DEFAULT_SECRETS_FILE;
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const secrets = await loadSecrets({ file, env });
  if (secrets.apiToken !== undefined) {
    const from = env(SECRET_ENV.apiToken) !== undefined
      ? SECRET_ENV.apiToken
      : `${file} (key "apiToken"; cat ${file} to read it)`;
    return {
      token: secrets.apiToken,
      // The fingerprint, never a part of the token: its last characters would shorten a guess.
      message: `API token ${tokenFingerprint(secrets.apiToken)} from ${from}`,
    };
  }
  const token = crypto.getRandomValues(new Uint8Array(32)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
  await writeOwnerOnly(file, JSON.stringify({ ...secrets, apiToken: token }, null, 2) + "\n");
  return {
    token,
    message:
      `generated a new API token into ${file} (mode 0600): its "apiToken" signs in to the dashboard and the API (cat ${file} to read it)`,
  };
}

/**
 * Writes `text` to `file` readable by its owner only. A temporary file created 0600 is
 * renamed over the target, so no reader ever sees a half-written or wider-mode file.
 */
async function writeOwnerOnly(file: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(temporary, text, { mode: 0o600, createNew: true });
  try {
    if (Deno.build.os !== "windows") await Deno.chmod(temporary, 0o600);
    await Deno.rename(temporary, file);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/** A secret as logs may show it: its length and last 4 characters, or nothing if short. */
export function mask(secret: string): string {
  if (secret.length < 12) return "****";
  return `****${secret.slice(-4)} (${secret.length} chars)`;
}

/** A client's API token (`models push`, `ea-sim`): from `tokenFile`, else the environment. */
export async function clientApiToken(tokenFile: string | undefined): Promise<string | null> {
  if (tokenFile !== undefined) return await readApiTokenFile(tokenFile);
  const token = Deno.env.get(SECRET_ENV.apiToken);
  return token === undefined || token === "" ? null : token;
}
