/**
 * Every subcommand's usage text and flags, in one place apart from the commands
 * themselves, so `main.ts` prints help without loading any command (and its dependencies,
 * such as onnxruntime). A command parses exactly the flags declared here, and a test checks
 * that its usage names every one of them. Pure data: it must never import a command.
 */

/** How `parseFlags` reads one flag (node:util parseArgs' option config). */
export type FlagSpec = Readonly<
  Record<string, { readonly type: "string" | "boolean"; readonly multiple?: boolean }>
>;

export interface CommandHelp {
  /** One line on what the command is for, for `deno task` and the command list. */
  readonly summary: string;
  /** The usage: synopsis first, then every flag with its meaning and default. */
  readonly usage: string;
  readonly flags: FlagSpec;
}

/** Flags every file-reading command shares. */
export const SOURCE_FLAGS = {
  data: { type: "string" },
  format: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  "on-bad-line": { type: "string" },
  "server-time": { type: "string" },
  "histdata-clock": { type: "string" },
  "input-timeframe": { type: "string" },
  symbol: { type: "string" },
  "min-price": { type: "string" },
  "max-price": { type: "string" },
  "max-jump": { type: "string" },
  "max-ask-bid": { type: "string" },
  earliest: { type: "string" },
  latest: { type: "string" },
  "max-time-step-days": { type: "string" },
} as const;

/** Flags of the commands that run the strategy over several files: backtest and optimize. */
const STRATEGY_FLAGS = {
  ...SOURCE_FLAGS,
  data: { type: "string", multiple: true },
  config: { type: "string" },
  model: { type: "string" },
  "no-ml": { type: "boolean" },
  registry: { type: "string" },
  news: { type: "string" },
  threads: { type: "string" },
  quiet: { type: "boolean" },
} as const;

const SOURCE_USAGE = `source flags (how to read the market-data files; docs/data.md):
  --format F           histdata | mt5 | oanda-ticks | quote-bars (default: detected from the first line)
  --from ISO, --to ISO keep data in [from, to), UTC: 2017-03-01 or 2017-03-01T12:00:00Z
  --on-bad-line P      fail (default): stop at the first bad line, naming file and line | skip: skip and count
  --server-time R      MT5 server clock: us-dst (UTC+2 winter / UTC+3 summer, default) | fixed hours, e.g. 3
  --histdata-clock C   auto (default) | new-york | new-york-eu-windows
  --input-timeframe TF timeframe of a quote-bars file whose name does not say it
  --symbol S           symbol to label the events with (default XAUUSD)
  plausibility (docs/data.md "Plausibility"; a row outside is a bad line, as --on-bad-line says):
  --min-price P, --max-price P  plausible prices (default 10 to 100000)
  --max-jump K         largest move from the previous row, in recent moves (default 200)
  --max-ask-bid R      largest ask/bid ratio, or (bid + spread) / bid (default 1.05)
  --earliest ISO, --latest ISO  plausible times (default 1970-01-01 to 2100-01-01)
  --max-time-step-days D  largest step forward from one row to the next (default 30)`;

/** The read cache's flags (sources/read_cache.ts), for the commands that read a file again and again. */
const READ_CACHE_FLAGS = {
  "no-cache": { type: "boolean" },
  "cache-dir": { type: "string" },
} as const;

const READ_CACHE_USAGE =
  `  --no-cache     read every file from its text; by default a file of 1 MB or more read whole is kept
                 as columns in the read cache, and a later run on the same bytes with the same reading
                 options reads them back (docs/data.md, "The read cache")
  --cache-dir DIR  the read cache's folder (default $XDG_CACHE_HOME, else ~/.cache, then
                 ai-gold-scalper/read-cache; at most 16 files kept, the least recently used dropped)`;

const QUIET_USAGE =
  `  --quiet              no progress line (it is shown only when stderr is a terminal)`;

export const SERVE = {
  summary: "the main job: control plane, dashboard and live or paper trading",
  usage:
    `deno task serve [--replay FILE [--speed N|max]] [--host 127.0.0.1] [--port 8787] [--db data/journal.sqlite] [flags]
  Without --replay it trades live: an MT5 terminal's EA connects over protocol v1 (docs/mt5-protocol.md).
  It prints the dashboard's address and where the API token is (the dashboard asks for it).
  --replay FILE  instead, paper-trade a market-data file (the backtest's strategy and simulated broker);
                 after a crash the same command resumes from the journal's last bar
  --speed N|max  replay at N x real time, or max: as fast as possible (the default)
  --quiet        no replay progress line
  --host H       address to bind (default 127.0.0.1; anything else exposes the control plane)
  --port P       port (default 8787; 0 picks a free one)
  --db FILE      SQLite journal (default data/journal.sqlite)
  --secrets FILE API token and other secrets, mode 0600 (default data/secrets.json; a token is generated on first start)
  --registry DIR model registry (default data/models): its production model scores every M1 bar
  --spec FILE    feature spec for --replay (default: the built-in spec); a model trained on another spec is refused
  --threads N    onnxruntime-web threads (default 1)
  --retrain FILE adaptive retraining policy for --replay (docs/retraining.md)
  --train-config FILE  how each retrain trains (docs/models.md)
  --rate-limit N requests per second per token holder and address (default 50, burst 200; 0 turns it off)
  --webhooks FILE      JSON or Telegram notifications on trades, kill switch, failures (docs/dashboard.md)
  --telegram FILE      Telegram commands (/status /profit /trades /stop /start /killswitch) from the chats it allows (docs/control-plane.md)
  --config FILE        trading config (fusion, risk, execution; JSON or JSONC, \`deno task init\` writes one);
                       live: stored as a new version in the journal
  --news FILE          news calendar CSV for the blackout rule; live trading refuses to start without
                       one unless the config sets risk.news.enabled to false
  --broker FILE        broker profile (profiles/*.json) copied from the terminal's symbol specification
live flags:
  --feed-sides S      bid-spread (default: MT5 bars carry a spread) | bid | bid-ask
  --ea-tcp-port P     also accept EAs over TCP (newline-delimited JSON) on this port
  --stale-after S     a bar older than S seconds when sent is a backlog: no orders from it (default 120)
  --warm-up-days N    on start, replay the journal's last N days to rebuild indicators and risk state (default 30)
limits (docs/control-plane.md, docs/mt5-protocol.md "Limits"):
  --public-rate-limit N      requests per second per address without the token (default 20, burst 60; 0: off)
  --auth-failure-limit N     failed authentications per address: N at once, then N a minute (default 10; 0: off)
  --audit-refusals N         refused logins written to the audit trail per minute; the rest counted (default 12)
  --trust-proxy A,B          reverse proxies whose X-Forwarded-For names the client (default: none)
  --request-timeout S        answer a request, body included, within S seconds or 408 (default 30)
  --upload-timeout S         the same for a model upload or promotion, which measure the model (default 300)
  --max-uploads N            model uploads at once; more answer 503 (default 1)
  --max-upload-mib N         largest model upload (default 64)
  --verify-days N            days of journal bars an uploaded model is measured on before promotion (default 30)
  --ea-tcp-login-bytes N     longest login line on the TCP port (default 1024)
  --ea-tcp-login-timeout S   log in within S seconds of connecting (default 10)
  --ea-tcp-idle-timeout S    close a logged-in connection after S seconds without a line (default 60)
  --ea-tcp-max-connections N TCP connections at once (default 32)
  --ea-tcp-max-per-address N TCP connections at once from one address (IPv6: one /64) (default 8)
scale-out (docs/scale-out.md):
  --role R            all (default: one process) | ingest (--replay FILE to the bus) | strategy | execution (paper)
                      | journal (--db) | dashboard: one component per process, over NATS JetStream
  --nats URL          the NATS server for a role, e.g. nats://127.0.0.1:4222
  --account NAME      routes orders and execution reports (ord.NAME, exec.NAME; default "default")
${
      SOURCE_USAGE.replace("source flags (", "source flags for --replay (").replace(
        "plausibility (",
        "plausibility, also of the EA feed but for --max-time-step-days (",
      )
    }`,
  flags: {
    ...Object.fromEntries(Object.entries(SOURCE_FLAGS).filter(([name]) => name !== "data")),
    replay: { type: "string" },
    speed: { type: "string" },
    quiet: { type: "boolean" },
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
    telegram: { type: "string" },
    broker: { type: "string" },
    role: { type: "string" },
    nats: { type: "string" },
    account: { type: "string" },
  },
} satisfies CommandHelp;

export const EA_SIM = {
  summary: "play an MT5 terminal from a file against a running serve",
  usage:
    `deno task ea-sim --data FILE [--from ISO] [--to ISO] [--url http://127.0.0.1:8787/ | --tcp HOST:PORT] [--token-file FILE] [--config FILE] [source flags]
  Replays FILE as an MT5 terminal would against a running serve, executing its orders on the
  backtest's simulated broker, and prints what it traded.
  --data FILE        the market-data file to play
  --url URL          the server (default http://127.0.0.1:8787/)
  --tcp HOST:PORT    talk to serve's --ea-tcp-port instead of HTTP
  --token-file FILE  the server's secrets file or a file holding the token (else AIGS_API_TOKEN)
  --config FILE      trading config: its execution part is the simulated broker's
  --broker FILE      the terminal's broker profile (profiles/*.json): its hello names these terms
${SOURCE_USAGE}`,
  flags: {
    ...SOURCE_FLAGS,
    url: { type: "string" },
    tcp: { type: "string" },
    "token-file": { type: "string" },
    config: { type: "string" },
    broker: { type: "string" },
  },
} satisfies CommandHelp;

export const BARS = {
  summary: "normalise a data file to UTC bars of a timeframe, with a data-quality summary",
  usage: `deno task bars --data FILE --timeframe M1|M5|M15|M30|H1|H4|D1 --out FILE.csv [flags]
  --data FILE          the market-data file (ticks or bars, plain or gzip)
  --timeframe TF       M1 | M5 | M15 | M30 | H1 | H4 | D1
  --out FILE.csv       where to write the bars
  --day-start S        utc (default) | new-york-17: where H4 and D1 bars start
  --json               print the summary as JSON
${SOURCE_USAGE}`,
  flags: {
    ...SOURCE_FLAGS,
    timeframe: { type: "string" },
    out: { type: "string" },
    "day-start": { type: "string" },
    json: { type: "boolean" },
  },
} satisfies CommandHelp;

export const FEATURES = {
  summary: "compute the feature spec bar by bar and write it as CSV",
  usage:
    `deno task features --data FILE --out FILE.csv [--from ISO] [--to ISO] [--spec FILE.json] [source flags]
  --data FILE   M1 bars or ticks
  --out FILE    the CSV to write: time_utc and one column per feature
  --spec FILE   a feature spec (JSON, see docs/features.md); default: the built-in 57-feature spec
  --print-spec  print the resolved spec as JSON and exit
${SOURCE_USAGE}`,
  flags: {
    ...SOURCE_FLAGS,
    out: { type: "string" },
    spec: { type: "string" },
    "print-spec": { type: "boolean" },
  },
} satisfies CommandHelp;

export const REGIMES = {
  summary: "label volatility and trend regimes and print their statistics",
  usage: `deno task regimes --data FILE [--timeframe H1] [--json] [source flags]
  --data FILE          M1 bars or ticks
  --timeframe TF       regime timeframe M5|M15|M30|H1|H4|D1 (default H1; H4 and D1 from 17:00 New York)
  --json               print the tables as JSON
${SOURCE_USAGE}`,
  flags: { ...SOURCE_FLAGS, timeframe: { type: "string" }, json: { type: "boolean" } },
} satisfies CommandHelp;

export const MODELS = {
  summary: "the model registry: list, show, promote, rollback, push",
  usage:
    `deno task models list|show ID|promote ID|rollback|push [--json] [--registry data/models] [--reason TEXT]
  list          every model with its stage, kind, created time and out-of-sample gate result
  show ID       one model's card and stage history (ID: full hash or a unique prefix of 8+)
  promote ID    candidate -> shadow -> production, only through the promotion gates (on the card
                of a model trained here; an uploaded model moves only over the server's control plane, measured)
  rollback      restore the previous production model
  push --to URL --id ID [--token-file FILE]
                upload a model to a running server (POST /v1/models), registered there as a candidate;
                the API token comes from FILE (a 0600 secrets file or the token alone) or AIGS_API_TOKEN
  --json        machine-readable output
  --registry DIR  the registry (default data/models)
  --reason TEXT   why, recorded with a promotion or a rollback`,
  flags: {
    registry: { type: "string" },
    json: { type: "boolean" },
    reason: { type: "string" },
    to: { type: "string" },
    id: { type: "string" },
    "token-file": { type: "string" },
  },
} satisfies CommandHelp;

export const PREDICT = {
  summary: "score a file with a registered model and write the class probabilities",
  usage:
    `deno task predict --model ID --data FILE --out FILE.csv [--spec FILE] [--registry data/models] [--threads 1]
  writes time_utc,p_down,p_flat,p_up for every M1 bar whose features are ready
  --model ID     a model id or a unique prefix of 8+ characters
  --data FILE    M1 bars or ticks
  --out FILE     the CSV to write
  --spec FILE    the feature spec the model was trained on (default: the built-in spec)
  --registry DIR the registry (default data/models)
  --threads N    onnxruntime-web threads (default 1)
${QUIET_USAGE}
${SOURCE_USAGE}`,
  flags: {
    ...SOURCE_FLAGS,
    model: { type: "string" },
    out: { type: "string" },
    spec: { type: "string" },
    registry: { type: "string" },
    threads: { type: "string" },
    quiet: { type: "boolean" },
  },
} satisfies CommandHelp;

export const TRAIN = {
  summary: "train the model ensemble by purged walk-forward and register it as a candidate",
  usage:
    `deno task train --data FILE [--data FILE ...] [--from ISO] [--to ISO] [--config FILE.json] [--registry data/models] [--json OUT.json]
  prints the new model id (registered as a candidate), the walk-forward table and how to promote it
  --data FILE    market-data files, read in the order given as one history (e.g. 2017 then 2018)
  --config FILE  training config (docs/models.md); default: GBDT + random forest + logistic + MLP, stacked, calibrated
  --registry DIR the registry (default data/models)
  --json FILE    also write the id, the model card and the report as JSON
${QUIET_USAGE}
${SOURCE_USAGE}`,
  flags: {
    ...SOURCE_FLAGS,
    data: { type: "string", multiple: true },
    config: { type: "string" },
    registry: { type: "string" },
    json: { type: "string" },
    quiet: { type: "boolean" },
  },
} satisfies CommandHelp;

export const BACKTEST = {
  summary:
    "replay files through the strategy against the simulated broker: a summary, JSON and an HTML report",
  usage:
    `deno task backtest --data FILE [--data FILE ...] [--from ISO] [--to ISO] [--config FILE] [--params FILE.json] [--model ID | --no-ml] [--json OUT.json] [--report OUT.html]
  the live pipeline fed from files against the simulated broker (docs/execution.md, docs/risk.md, docs/fusion.md);
  prints a summary when done: halts, result, sources, costs, chance, per exit reason, month and session
  --data FILE    market-data files, in time order
  --config FILE  trading config (fusion, risk, execution; JSON or JSONC; \`deno task init\` writes one)
  --params FILE  a parameter set written by \`optimize\` (params/<sha256>.json); --config values win over it
  --no-ml        technical signals only; without it the registry's production model (or --model) is used
  --model ID     a registered model instead of the production one
  --registry DIR the registry (default data/models)
  --news FILE    high-impact news calendar (docs/examples/news_calendar.csv); without it the news blackout is off
  --broker FILE  a broker profile (profiles/*.json): contract, lots, leverage, margin levels, costs, spread
  --threads N    onnxruntime-web threads (default 1)
  --score-workers N  Workers scoring the model beside the features (default: the cores less one,
                     at least 1, at most 3; 0: this thread)
  --baseline-runs N  random-entry runs to rank the strategy among (default 30; 0 for none)
  --no-warm-up   read nothing before --from and trade from its first bar, the sources joining as they
                 warm up, as a live server started fresh does (default: warm up on the history first)
${READ_CACHE_USAGE}
  --json FILE    the results as JSON (docs/backtest-metrics.md)
  --report FILE  the HTML report
                 either is enough; with neither, both go to out/backtest-<data file>.json and .html
${QUIET_USAGE}
${SOURCE_USAGE}`,
  flags: {
    ...STRATEGY_FLAGS,
    params: { type: "string" },
    broker: { type: "string" },
    "score-workers": { type: "string" },
    "baseline-runs": { type: "string" },
    "no-warm-up": { type: "boolean" },
    ...READ_CACHE_FLAGS,
    json: { type: "string" },
    report: { type: "string" },
  },
} satisfies CommandHelp;

export const OPTIMIZE = {
  summary: "walk-forward search of backtest parameters; writes params/<sha256>.json",
  usage:
    `deno task optimize --data FILE [--data FILE ...] --space SPACE.json [--folds 3] [--objective sharpe] [--search grid|random] [--out params] [flags]
  walk-forward search of backtest parameters (docs/optimisation.md): the data's range is cut into N+1 blocks;
  fold k chooses on blocks 0..k and runs the choice once on block k+1
  --space FILE   {"fusion.gate": [0.4, 0.5], "risk.riskPercent": [0.25, 0.5]}: dotted config paths, values simplest first
  --folds N      walk-forward folds (default 3)
  --objective O  sharpe (default) | net_profit | calmar
  --search S     grid (default) | random, with --samples K and --seed 42
  --samples K    candidates drawn by --search random
  --seed N       random search seed (default 42)
  --out DIR      where the set chosen on the latest in-sample window is written as <sha256>.json
                 (default params; load it with backtest --params)
  --config FILE  the base trading config every candidate starts from
  --no-ml        technical signals only (else the registry's production model, or --model ID)
  --model ID, --registry DIR, --news FILE, --threads N: as for backtest
${READ_CACHE_USAGE}
                 each fold's windows are entries of their own, read back by every candidate after the first
${QUIET_USAGE}
${SOURCE_USAGE}`,
  flags: {
    ...STRATEGY_FLAGS,
    space: { type: "string" },
    folds: { type: "string" },
    objective: { type: "string" },
    search: { type: "string" },
    samples: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    ...READ_CACHE_FLAGS,
  },
} satisfies CommandHelp;

export const SWEEP = {
  summary: "research jobs on local Workers or a NATS JetStream work queue, results in SQLite",
  usage:
    `deno task sweep --config FILE [--nats URL] [--workers N] [--out results.sqlite] [--queue NAME] [--ack-wait S]
deno task sweep --worker --nats URL [--workers N] [--queue NAME] [--ack-wait S]
  Runs the research jobs FILE lists (walk-forward folds, parameter sweep points, Monte Carlo
  runs; docs/scale-out.md) and stores every result in SQLite; a rerun skips stored results.
  --config FILE  the sweep (JSON or JSONC): data, base backtest config, jobs
  --nats URL     run the jobs on a NATS JetStream work queue (comma-separate several servers);
                 without it they run on local Deno Workers
  --workers N    job Workers in this process (default 2; with --nats, 0 leaves the jobs to
                 workers on other machines)
  --out FILE     SQLite results (default out/sweep.sqlite)
  --queue NAME   work queue name on NATS (default sweep)
  --ack-wait S   seconds a silent worker keeps a job before it is handed to another (default 30)
  --worker       serve jobs from --nats until interrupted (start one per machine)
${READ_CACHE_USAGE}
                 for the jobs this process runs: each machine keeps its own
${QUIET_USAGE}`,
  flags: {
    config: { type: "string" },
    nats: { type: "string" },
    workers: { type: "string" },
    out: { type: "string" },
    queue: { type: "string" },
    "ack-wait": { type: "string" },
    worker: { type: "boolean" },
    ...READ_CACHE_FLAGS,
    quiet: { type: "boolean" },
  },
} satisfies CommandHelp;

export const SPREAD_PROFILE = {
  summary: "measure a spread by hour of the New York day from tick quotes",
  usage: `deno task spread-profile --data TICKS.csv.gz [--from ISO] [--to ISO] [--json OUT.json]
  The spread of tick quotes by hour of the New York day: quotes, median, 90th percentile and the
  median rounded up to the cent (a broker profile's "ny_hours" spread model; docs/execution.md).
  --data FILE    tick quotes (bid and ask), e.g. the OANDA file in ../shared/data
  --json FILE    also write the table as JSON
${SOURCE_USAGE}`,
  flags: { ...SOURCE_FLAGS, json: { type: "string" } },
} satisfies CommandHelp;

export const INIT = {
  summary: "write a commented trading config (fusion, risk, execution, broker) to start from",
  usage: `deno task init [--out config.jsonc] [--force]
  Writes every setting of the trading config with its default and a comment saying what it
  does (docs/config-reference.md); serve --config and backtest --config read it as it is.
  --out FILE  where to write it (default config.jsonc)
  --force     overwrite FILE if it exists`,
  flags: { out: { type: "string" }, force: { type: "boolean" } },
} satisfies CommandHelp;
