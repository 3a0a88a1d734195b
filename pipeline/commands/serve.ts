/**
 * `serve`: the main job. Starts the authenticated control plane on 127.0.0.1 and the
 * pipeline on the embedded defaults (SQLite journal). Without `--replay` it trades live:
 * an MT5 terminal's EA connects over protocol v1 (HTTP, or TCP with `--ea-tcp-port`),
 * feeds bars and execution reports, and gets the strategy's orders. With `--replay FILE`
 * it paper-trades a file: the backtest's strategy and simulated broker, nothing to a terminal.
 * It must never bind beyond loopback unless told to, never serve without a token, and
 * shuts down gracefully: on SIGINT/SIGTERM the pipeline stops and the journal is flushed.
 */

import { dirname } from "node:path";
import { z } from "zod";
import type { ControlAppDeps, ControlMount } from "../control/app.ts";
import { createControlApp } from "../control/app.ts";
import { dashboardMounts } from "../control/dashboard/mod.ts";
import type { AuditEntry } from "../control/auth.ts";
import { DEFAULT_LIMITS } from "../control/app.ts";
import {
  DEFAULT_AUTH_FAILURE_LIMIT,
  DEFAULT_PUBLIC_RATE_LIMIT,
  DEFAULT_RATE_LIMIT,
} from "../control/rate_limit.ts";
import { DEFAULT_AUDIT_REFUSALS_PER_MINUTE, RefusalLog } from "../control/refusals.ts";
import { DEFAULT_TCP_LIMITS } from "../live/transport.ts";
import { DEFAULT_SECRETS_FILE, ensureApiToken, loadSecrets } from "../control/secrets.ts";
import { createHealthRegistry, type HealthRegistry } from "../health.ts";
import { VERSION } from "../version.ts";
import { makePrivateDir } from "../private_files.ts";
import { openJournal } from "../../sinks/journal.ts";
import type { Sink } from "../../sinks/sink.ts";
import { type DashboardStatus, SseHub } from "../../sinks/sse.ts";
import { parseWebhookConfig, WebhookSink } from "../../sinks/webhooks.ts";
import { DEFAULT_FEATURE_SPEC, loadFeatureSpec, specHash } from "../../operators/features/mod.ts";
import {
  parseFlags,
  readJsonFlag,
  SOURCE_FLAGS,
  sourceSchema,
  UsageError,
  validate,
} from "./args.ts";
import { openRegistry } from "./models.ts";
import { controlLimits } from "./serve_limits.ts";
import { startLiveTrading } from "./serve_live.ts";
import { journalMeasurer } from "./serve_measure.ts";
import { startReplay } from "./serve_replay.ts";
import { ROLES, startRole } from "./serve_roles.ts";

const MIB = 1024 * 1024;

/** A duration flag in seconds: positive, at most a day. */
const seconds = (fallback: number) => z.coerce.number().positive().max(86_400).default(fallback);

const schema = sourceSchema.extend({
  data: z.string().min(1).optional(),
  speed: z.coerce.number().positive().optional(),
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(8787),
  db: z.string().min(1).default("data/journal.sqlite"),
  registry: z.string().min(1).default("data/models"),
  spec: z.string().min(1).optional(),
  threads: z.coerce.number().int().min(1).max(8).default(1),
  retrain: z.string().min(1).optional(),
  "train-config": z.string().min(1).optional(),
  secrets: z.string().min(1).default(DEFAULT_SECRETS_FILE),
  config: z.string().min(1).optional(),
  news: z.string().min(1).optional(),
  broker: z.string().min(1).optional(),
  "feed-sides": z.enum(["bid", "bid-spread", "bid-ask"]).default("bid-spread"),
  "ea-tcp-port": z.coerce.number().int().min(0).max(65535).optional(),
  "stale-after": z.coerce.number().positive().default(120),
  "warm-up-days": z.coerce.number().min(0).max(3650).default(30),
  /** Requests per second per token holder and address; 0 turns the limit off (a replay-speed EA simulator). */
  "rate-limit": z.coerce.number().min(0).default(DEFAULT_RATE_LIMIT.perSecond),
  "public-rate-limit": z.coerce.number().min(0).default(DEFAULT_PUBLIC_RATE_LIMIT.perSecond),
  "auth-failure-limit": z.coerce.number().min(0).default(DEFAULT_AUTH_FAILURE_LIMIT.burst),
  "audit-refusals": z.coerce.number().int().min(1).default(DEFAULT_AUDIT_REFUSALS_PER_MINUTE),
  "trust-proxy": z.string().regex(/^[0-9A-Fa-f.:]+(,[0-9A-Fa-f.:]+)*$/, {
    message: "expected IP addresses separated by commas, e.g. 127.0.0.1,::1",
  }).optional(),
  "request-timeout": seconds(DEFAULT_LIMITS.requestTimeoutMs / 1000),
  "upload-timeout": seconds(DEFAULT_LIMITS.uploadTimeoutMs / 1000),
  "max-uploads": z.coerce.number().int().min(1).max(16).default(DEFAULT_LIMITS.uploads),
  "max-upload-mib": z.coerce.number().positive().max(1024).default(
    DEFAULT_LIMITS.uploadBytes / MIB,
  ),
  "verify-days": z.coerce.number().positive().max(3650).default(30),
  "ea-tcp-login-bytes": z.coerce.number().int().min(64).max(1 << 20).default(
    DEFAULT_TCP_LIMITS.loginLineBytes,
  ),
  "ea-tcp-login-timeout": seconds(DEFAULT_TCP_LIMITS.loginTimeoutMs / 1000),
  "ea-tcp-idle-timeout": seconds(DEFAULT_TCP_LIMITS.idleTimeoutMs / 1000),
  "ea-tcp-max-connections": z.coerce.number().int().min(1).max(100_000).default(
    DEFAULT_TCP_LIMITS.maxConnections,
  ),
  "ea-tcp-max-per-address": z.coerce.number().int().min(1).max(100_000).default(
    DEFAULT_TCP_LIMITS.maxConnectionsPerAddress,
  ),
  webhooks: z.string().min(1).optional(),
  role: z.enum(ROLES).default("all"),
  nats: z.string().min(1).optional(),
  account: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
});
export type ServeFlags = z.infer<typeof schema>;

/** The journal's WAL is folded into its file on this timer, not inside a commit (journal.ts). */
const CHECKPOINT_EVERY_MS = 5_000;

/** What each mode (live, replay) adds to the common server. */
export interface ServeMode {
  readonly control: Partial<ControlAppDeps>;
  /** The models in use, for the dashboard. */
  readonly models: () => DashboardStatus;
  /** Resolves when the mode's work is over (a role whose feed ended); absent: runs until stopped. */
  readonly done?: Promise<void>;
  /** Stops the mode's pipeline (its sinks flush); before the journal closes. */
  close(): Promise<void>;
}

export async function serve(argv: string[]): Promise<void> {
  const { replay, ...rest } = parseFlags(argv, {
    ...SOURCE_FLAGS,
    replay: { type: "string" },
    speed: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    db: { type: "string" },
    registry: { type: "string" },
    spec: { type: "string" },
    threads: { type: "string" },
    retrain: { type: "string" },
    "train-config": { type: "string" },
    secrets: { type: "string" },
    config: { type: "string" },
    news: { type: "string" },
    broker: { type: "string" },
    "feed-sides": { type: "string" },
    "ea-tcp-port": { type: "string" },
    "stale-after": { type: "string" },
    "warm-up-days": { type: "string" },
    "rate-limit": { type: "string" },
    "public-rate-limit": { type: "string" },
    "auth-failure-limit": { type: "string" },
    "audit-refusals": { type: "string" },
    "trust-proxy": { type: "string" },
    "request-timeout": { type: "string" },
    "upload-timeout": { type: "string" },
    "max-uploads": { type: "string" },
    "max-upload-mib": { type: "string" },
    "verify-days": { type: "string" },
    "ea-tcp-login-bytes": { type: "string" },
    "ea-tcp-login-timeout": { type: "string" },
    "ea-tcp-idle-timeout": { type: "string" },
    "ea-tcp-max-connections": { type: "string" },
    "ea-tcp-max-per-address": { type: "string" },
    webhooks: { type: "string" },
    role: { type: "string" },
    nats: { type: "string" },
    account: { type: "string" },
  });
  const flags = validate(schema, { ...rest, data: replay });
  if (flags.speed !== undefined && flags.data === undefined) {
    throw new UsageError("--speed needs --replay FILE");
  }
  if (flags.role === "all" && flags.data !== undefined && flags["ea-tcp-port"] !== undefined) {
    throw new UsageError("--ea-tcp-port is for live trading; --replay paper-trades a file");
  }
  if ((flags.role === "all") !== (flags.nats === undefined)) {
    throw new UsageError(
      flags.role === "all"
        ? "--nats is for --role ingest|strategy|execution|journal|dashboard (--role all runs in one process)"
        : `--role ${flags.role} needs --nats URL (the NATS JetStream server, e.g. nats://127.0.0.1:4222)`,
    );
  }

  const health = createHealthRegistry();
  const apiToken = await ensureApiToken({ file: flags.secrets });
  makePrivateDir(dirname(flags.db));
  const journal = openJournal(flags.db, { autoCheckpoint: false, notice: console.log });
  const checkpoints = setInterval(() => journal.checkpoint(), CHECKPOINT_EVERY_MS);
  let models = (): DashboardStatus => ({ production: null, shadow: null });
  let controls = (): Partial<DashboardStatus> => ({});
  const hub = new SseHub({
    health: () => health.snapshot(),
    status: () => ({ ...models(), ...controls() }),
  });
  const sinks: Sink[] = [hub];
  if (flags.webhooks !== undefined) sinks.push(await webhookSink(flags, health));
  const audit = (entry: AuditEntry) => journal.appendAudit(entry);
  const refusals = new RefusalLog({
    audit,
    auditPerMinute: flags["audit-refusals"],
    now: Date.now,
    logError: console.error,
  });
  const mode = flags.role !== "all"
    ? await startRole({ ...flags, role: flags.role, nats: flags.nats! }, journal, health, hub)
    : flags.data === undefined
    ? await startLiveTrading(flags, apiToken.token, journal, health, sinks, refusals)
    : await startReplay(flags, flags.data, journal, health, sinks);
  models = mode.models;
  controls = () => ({
    trading: mode.control.risk?.status() ?? null,
    components: mode.control.components?.list() ?? [],
  });
  const registry = openRegistry(flags.registry);
  const spec = flags.spec ? await loadFeatureSpec(flags.spec) : DEFAULT_FEATURE_SPEC;
  const mounts: ControlMount[] = [...dashboardMounts(hub), ...(mode.control.mounts ?? [])];
  const app = createControlApp({
    health,
    version: VERSION,
    token: apiToken.token,
    limits: controlLimits(flags),
    audit,
    refusals,
    models: {
      registry,
      runningSpec: { hash: specHash(spec), features: spec.features.length },
      measure: journalMeasurer({
        journalPath: flags.db,
        registryDir: flags.registry,
        spec,
        symbol: flags.symbol,
        days: flags["verify-days"],
        warmUpDays: flags["warm-up-days"],
        // What wrote the journal's bars: the EA's MT5 bars, or the replayed file.
        format: flags.data === undefined ? "mt5" : flags.format ?? "histdata",
      }),
    },
    modelSlot: () => {
      const { production, shadow } = models();
      return { production: production?.id ?? null, shadow: shadow?.id ?? null };
    },
    ...mode.control,
    mounts,
  });
  const server = Deno.serve({
    hostname: flags.host,
    port: flags.port,
    onListen: ({ hostname, port }) => {
      const host = hostname.includes(":") ? `[${hostname}]` : hostname;
      console.log(
        `ai-gold-scalper ${VERSION} listening on http://${host}:${port}/ (health: /health)`,
      );
      console.log(`journal: ${flags.db}`);
      console.log(apiToken.message);
    },
  }, app.fetch);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the pipeline and flushing the journal`);
    await mode.close();
    hub.close();
    registry.close();
    clearInterval(checkpoints);
    journal.close();
    await server.shutdown();
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => void shutdown(signal));
  }
  mode.done?.then(
    () => shutdown("done"),
    (error) => {
      console.error(`${flags.role} failed: ${(error as Error).message}`);
      Deno.exit(1);
    },
  );
  await server.finished;
}

/** Webhook notifications from `--webhooks FILE` (docs/dashboard.md), bot token from secrets. */
async function webhookSink(flags: ServeFlags, health: HealthRegistry): Promise<WebhookSink> {
  const file = flags.webhooks!;
  const value = await readJsonFlag("webhooks", file);
  const secrets = await loadSecrets({ file: flags.secrets });
  return new WebhookSink({
    config: parseWebhookConfig(value, `"${file}"`),
    botToken: secrets.telegramBotToken,
    health: () => health.snapshot(),
  });
}
