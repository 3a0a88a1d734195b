/**
 * `serve`: the main job. Starts the authenticated control plane on 127.0.0.1 and the
 * pipeline on the embedded defaults (SQLite journal). Without `--replay` it trades live:
 * an MT5 terminal's EA connects over protocol v1 (HTTP, or TCP with `--ea-tcp-port`),
 * feeds bars and execution reports, and gets the strategy's orders. With `--replay FILE`
 * it paper-trades a file: the backtest's strategy and simulated broker, nothing to a terminal.
 * It must never bind beyond loopback unless told to, never serve without a token, and
 * shuts down gracefully: on SIGINT/SIGTERM the pipeline stops and the journal is flushed,
 * and a stop never waits forever on a pipeline or an HTTP client that does not finish.
 */

import { existsSync } from "node:fs";
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
import {
  DEFAULT_SECRETS_FILE,
  ensureApiToken,
  loadSecrets,
  SECRET_ENV,
} from "../control/secrets.ts";
import { createHealthRegistry } from "../health.ts";
import { makePrivateDir } from "../private_files.ts";
import { VERSION } from "../version.ts";
import { within } from "../within.ts";
import { type Journal, openJournal } from "../../sinks/journal.ts";
import type { Sink } from "../../sinks/sink.ts";
import { type DashboardStatus, SseHub } from "../../sinks/sse.ts";
import { parseWebhookConfig, WebhookSink } from "../../sinks/webhooks.ts";
import { DEFAULT_FEATURE_SPEC, loadFeatureSpec, specHash } from "../../operators/features/mod.ts";
import {
  inputFile,
  isDirectory,
  parseFlags,
  readJsonFlag,
  sourceSchema,
  UsageError,
  validate,
} from "./args.ts";
import { clearProgressLine } from "../progress.ts";
import {
  assertNewsCovered,
  parseTradingConfig,
  type TradingConfig,
  withBrokerProfile,
} from "./strategy.ts";
import { parseTelegramConfig, startTelegramBot } from "../control/telegram.ts";
import { activitySink, telegramControls } from "./serve_telegram.ts";
import { SERVE } from "./usage.ts";
import { openRegistry } from "./models.ts";
import { controlLimits } from "./serve_limits.ts";
import { journalMeasurer } from "./serve_measure.ts";
import { startLiveTrading } from "./serve_live.ts";
import { startReplay } from "./serve_replay.ts";
import { ROLES, startRole } from "./serve_roles.ts";

const MIB = 1024 * 1024;

/** A duration flag in seconds: positive, at most a day. */
const seconds = (fallback: number) => z.coerce.number().positive().max(86_400).default(fallback);

const schema = sourceSchema.omit({ data: true }).extend({
  replay: inputFile.optional(),
  speed: z.union([
    z.literal("max").transform(() => Infinity),
    z.coerce.number().positive(),
  ], { error: 'expected a positive number (times real time) or "max"' }).optional(),
  quiet: z.boolean().default(false),
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(8787),
  db: z.string().min(1).default("data/journal.sqlite").refine(
    (path) => !isDirectory(path),
    "is a directory; give the journal's file name",
  ),
  registry: z.string().min(1).default("data/models"),
  spec: inputFile.optional(),
  threads: z.coerce.number().int().min(1).max(8).default(1),
  retrain: inputFile.optional(),
  "train-config": inputFile.optional(),
  secrets: z.string().min(1).default(DEFAULT_SECRETS_FILE).refine(
    (path) => !isDirectory(path),
    "is a directory; give the secrets file's name",
  ),
  config: inputFile.optional(),
  news: inputFile.optional(),
  broker: inputFile.optional(),
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
  webhooks: inputFile.optional(),
  telegram: inputFile.optional(),
  role: z.enum(ROLES).default("all"),
  nats: z.string().min(1).optional(),
  account: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
});
/** The validated flags; `data` is the `--replay` file, the name the source flags use. */
export type ServeFlags = z.infer<typeof schema> & { readonly data?: string };

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
  const parsed = validate(schema, parseFlags(argv, SERVE.flags));
  const flags: ServeFlags = { ...parsed, data: parsed.replay };
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
  // Everything that can be refused is checked before anything is created: the files, the
  // notification configs, the ports and the news calendar. Only then the token, the
  // journal and the server.
  const configFile = flags.config === undefined ? null : await readConfigFile(flags.config);
  const config = configFile?.config ?? null;
  const spec = flags.spec ? await loadFeatureSpec(flags.spec) : DEFAULT_FEATURE_SPEC;
  const notifiers = await notifierConfigs(flags);
  assertPortsFree(flags);
  // Live trading without --news needs a config that turns the blackout off: --config, else
  // the one stored in an existing journal (checked once it is open).
  const live = flags.role === "all" && flags.data === undefined;
  if (live && flags.news === undefined && (config !== null || !existsSync(flags.db))) {
    assertNewsCovered(config ?? {}, null);
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
  const activity = activitySink();
  const sinks: Sink[] = [hub, activity.sink];
  if (notifiers.webhooks !== null) {
    sinks.push(
      new WebhookSink({
        config: notifiers.webhooks,
        botToken: notifiers.botToken,
        health: () => health.snapshot(),
      }),
    );
  }
  const audit = (entry: AuditEntry) => journal.appendAudit(entry);
  const refusals = new RefusalLog({
    audit,
    auditPerMinute: flags["audit-refusals"],
    now: Date.now,
    logError: console.error,
  });
  // Only the modes that trade call it: the others store no config change.
  const tradingConfig = () => servingConfig(flags, configFile, journal);
  const mode = flags.role !== "all"
    ? await startRole(
      { ...flags, role: flags.role, nats: flags.nats! },
      journal,
      health,
      hub,
      tradingConfig,
    )
    : flags.data === undefined
    ? await startLiveTrading(flags, apiToken.token, journal, health, sinks, refusals, tradingConfig)
    : await startReplay(flags, flags.data, journal, health, sinks, tradingConfig, spec);
  models = mode.models;
  controls = () => ({
    trading: mode.control.risk?.status() ?? null,
    components: mode.control.components?.list() ?? [],
  });
  const registry = openRegistry(flags.registry);
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
  // Both are set once the server listens.
  let server: Deno.HttpServer | null = null;
  let telegram: ReturnType<typeof startTelegramBot> | null = null;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearProgressLine();
    console.log(`${signal}: stopping the pipeline and flushing the journal`);
    const stopPipeline = async () => {
      await telegram?.stop();
      await mode.close();
      hub.close();
      registry.close();
      clearInterval(checkpoints);
      journal.close();
      return true;
    };
    if (await within(stopPipeline(), PIPELINE_STOP_MS) === null) {
      console.error(
        `${signal}: the pipeline did not stop within ${
          PIPELINE_STOP_MS / 1000
        } s: exiting without it; what the journal committed is kept`,
      );
      Deno.exit(1);
    }
    if (server !== null && await within(server.shutdown(), HTTP_DRAIN_MS) === null) {
      console.log(
        `${signal}: an HTTP client was still mid-request after ${
          HTTP_DRAIN_MS / 1000
        } s: stopped without waiting for it`,
      );
    }
    Deno.exit(0);
  };
  // Heard before the server listens: a signal right after the "listening" line (a service
  // manager's stop, a test's) must find its handler, not end the process at once.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => void shutdown(signal));
  }
  try {
    server = Deno.serve({
      hostname: flags.host,
      port: flags.port,
      onListen: ({ hostname, port }) => {
        const host = hostname.includes(":") ? `[${hostname}]` : hostname;
        const url = `http://${host}:${port}/`;
        console.log(`ai-gold-scalper ${VERSION} listening on ${url} (health: ${url}health)`);
        console.log(`dashboard: ${url}dashboard/ (it asks for the API token)`);
        console.log(apiToken.message);
        console.log(`journal: ${flags.db}`);
      },
    }, app.fetch);
  } catch (error) {
    stopping = true;
    await mode.close();
    journal.close();
    throw new Error(`Cannot listen on ${flags.host}:${flags.port}: ${(error as Error).message}`);
  }
  telegram = notifiers.telegram === null ? null : startTelegramBot({
    config: notifiers.telegram,
    botToken: notifiers.botToken!,
    audit,
    ...telegramControls(mode, health, journal, activity),
  });
  mode.done?.then(
    () => shutdown("done"),
    (error) => {
      console.error(`${flags.role} failed: ${(error as Error).message}`);
      Deno.exit(1);
    },
  );
  await server.finished;
}

/**
 * How long a stop waits, once the journal is closed, for HTTP clients still mid-request.
 * A client that sends a Content-Length and half its body held the process for good
 * (tests/pipeline/commands/serve_test.ts); nothing is left to flush by then.
 */
const HTTP_DRAIN_MS = 3_000;

/** How long the pipeline, the bus and the journal may take to stop before serve exits. */
const PIPELINE_STOP_MS = 30_000;

/** The `--config` file as read (what the journal stores) and as checked. */
interface ConfigFile {
  readonly value: unknown;
  readonly config: TradingConfig;
}

async function readConfigFile(path: string): Promise<ConfigFile> {
  const value = await readJsonFlag("config", path);
  return { value, config: parseTradingConfig(value, `--config "${path}"`) };
}

/**
 * The trading config a mode runs, with `--broker`'s profile: the `--config` file (stored
 * as a new version when it differs from the journal's latest), else the latest stored by
 * `PUT /v1/config`, else the defaults.
 */
async function servingConfig(
  flags: ServeFlags,
  file: ConfigFile | null,
  journal: Journal,
): Promise<TradingConfig> {
  const latest = journal.latestConfig();
  if (file !== null && JSON.stringify(latest?.config) !== JSON.stringify(file.value)) {
    journal.appendConfigChange(
      (latest?.version ?? 0) + 1,
      file.value,
      `serve --config ${flags.config}`,
    );
  }
  const config = file?.config ??
    parseTradingConfig(latest?.config ?? {}, `the config stored in ${journal.path}`);
  return await withBrokerProfile(config, flags.broker);
}

/** The `--webhooks` and `--telegram` configs and the bot token they need, checked up front. */
async function notifierConfigs(flags: ServeFlags) {
  const webhooks = flags.webhooks === undefined
    ? null
    : parseWebhookConfig(await readJsonFlag("webhooks", flags.webhooks), `"${flags.webhooks}"`);
  const telegram = flags.telegram === undefined
    ? null
    : parseTelegramConfig(await readJsonFlag("telegram", flags.telegram), `"${flags.telegram}"`);
  const needsBot = telegram !== null || webhooks?.format === "telegram";
  const botToken = needsBot
    ? (await loadSecrets({ file: flags.secrets })).telegramBotToken
    : undefined;
  if (needsBot && botToken === undefined) {
    throw new UsageError(
      `${flags.telegram !== undefined ? "--telegram" : "--webhooks"} needs a Telegram bot token: ` +
        `set ${SECRET_ENV.telegramBotToken} or "telegramBotToken" in ${flags.secrets}`,
    );
  }
  return { webhooks, telegram, botToken };
}

/**
 * Refuses a port another process holds, naming the flag and the address, before the
 * secrets and the journal are created (port 0 picks a free one and is never refused).
 */
function assertPortsFree(flags: ServeFlags): void {
  const ports: [string, number | undefined][] = [
    ["--port", flags.port],
    [
      "--ea-tcp-port",
      flags.role === "all" && flags.data === undefined ? flags["ea-tcp-port"] : undefined,
    ],
  ];
  for (const [flag, port] of ports) {
    if (port === undefined || port === 0) continue;
    try {
      const listener = Deno.listen({ hostname: flags.host, port });
      listener.close();
    } catch (error) {
      const address = `${flags.host}:${port}`;
      throw new UsageError(
        error instanceof Deno.errors.AddrInUse
          ? `${flag} ${port}: ${address} is already in use (is another serve running?); stop it or pass ${flag} with another port`
          : `${flag} ${port}: cannot listen on ${address}: ${(error as Error).message}`,
      );
    }
  }
}
