/**
 * Usage text of every subcommand, apart from the commands themselves so `main.ts` can
 * print help without loading any command (and its dependencies, such as onnxruntime).
 */

export const SERVE_USAGE =
  `deno task serve [--replay FILE [--speed N] [source flags]] [--host 127.0.0.1] [--port 8787] [--db data/journal.sqlite] [--registry data/models] [live flags]
  Without --replay it trades live: an MT5 terminal's EA connects over protocol v1 (docs/mt5-protocol.md).
  --replay FILE  instead, paper-trade a market-data file (the backtest's strategy and simulated broker)
  --speed N      replay at N x real time (default: as fast as possible)
  --host H       address to bind (default 127.0.0.1; anything else exposes the control plane)
  --port P       port (default 8787; 0 picks a free one)
  --db FILE      SQLite journal (default data/journal.sqlite)
  --secrets FILE API token and other secrets, mode 0600 (default data/secrets.json; a token is generated on first start)
  --registry DIR model registry (default data/models): its production model scores every M1 bar
  --spec FILE    feature spec for --replay (default: the built-in spec); a model trained on another spec is refused
  --threads N    onnxruntime-web threads (default 1)
  --retrain FILE adaptive retraining policy for --replay (docs/retraining.md); --train-config FILE: how each retrain trains
  --rate-limit N requests per second per client (default 50; 0 turns it off)
  --webhooks FILE      JSON or Telegram notifications on trades, kill switch, failures (docs/dashboard.md)
live flags:
  --config FILE       trading config, as for backtest (fusion, risk, execution); stored as a new version in the journal
  --news FILE         news calendar CSV for the blackout rule
  --feed-sides S      bid-spread (default: MT5 bars carry a spread) | bid | bid-ask
  --ea-tcp-port P     also accept EAs over TCP (newline-delimited JSON) on this port
  --stale-after S     a bar older than S seconds when sent is a backlog: no orders from it (default 120)
  --warm-up-days N    on start, replay the journal's last N days to rebuild indicators and risk state (default 30)
scale-out (docs/scale-out.md):
  --role R            all (default: one process) | ingest (--replay FILE to the bus) | strategy | execution (paper)
                      | journal (--db) | dashboard: one component per process, over NATS JetStream
  --nats URL          the NATS server for a role, e.g. nats://127.0.0.1:4222
  --account NAME      routes orders and execution reports (ord.NAME, exec.NAME; default "default")`;

export const EA_SIM_USAGE =
  `deno task ea-sim --data FILE [--from ISO] [--to ISO] [--url http://127.0.0.1:8787/ | --tcp HOST:PORT] [--token-file FILE] [--config FILE] [source flags]
  Replays FILE as an MT5 terminal would against a running serve, executing its orders on the
  backtest's simulated broker (--config: the execution part), and prints what it traded.
  --token-file FILE  the server's secrets file or a file holding the token (else AIGS_API_TOKEN)`;

/** The plausibility flags every file-reading command takes (docs/data.md "Plausibility"). */
const PLAUSIBILITY_USAGE =
  `  --min-price P, --max-price P  plausible prices (default 10 to 100000); outside is a bad line
  --max-jump K         largest move from the previous row, in recent moves (default 200)
  --max-ask-bid R      largest ask/bid ratio, or (bid + spread) / bid (default 1.05)
  --earliest ISO, --latest ISO  plausible times (default 1970-01-01 to 2100-01-01)
  --max-time-step-days D  largest step forward from one row to the next (default 30)`;

export const BARS_USAGE =
  `deno task bars --data FILE --timeframe M1|M5|M15|M30|H1|H4|D1 --out FILE.csv [options]
  --format F           histdata | mt5 | oanda-ticks | quote-bars (default: detected)
  --from ISO, --to ISO keep bars opening in [from, to) (UTC)
  --day-start S        utc (default) | new-york-17: where H4 and D1 bars start
  --on-bad-line P      fail (default) | skip: skip and count malformed rows
  --server-time R      MT5 server clock: us-dst (UTC+2 winter/+3 summer, default) | fixed hours
  --histdata-clock C   auto (default) | new-york | new-york-eu-windows
  --input-timeframe TF timeframe of a quote-bars file whose name does not say it
${PLAUSIBILITY_USAGE}
  --json               print the summary as JSON`;

export const FEATURES_USAGE =
  `deno task features --data FILE --out FILE.csv [--from ISO] [--to ISO] [--spec FILE.json] [source flags]
  --spec FILE   a feature spec (JSON, see docs/features.md); default: the built-in 57-feature spec
  --print-spec  print the resolved spec as JSON and exit`;

export const REGIMES_USAGE = `deno task regimes --data FILE [options]
  --timeframe TF       regime timeframe M5|M15|M30|H1|H4|D1 (default H1; H4 and D1 from 17:00 New York)
  --format F           histdata | mt5 | oanda-ticks | quote-bars (default: detected); M1 bars or ticks
  --from ISO, --to ISO keep data in [from, to) (UTC); the detector warms up inside it
  --on-bad-line P      fail (default) | skip: skip and count malformed rows
  --server-time R      MT5 server clock: us-dst (UTC+2 winter/+3 summer, default) | fixed hours
  --histdata-clock C   auto (default) | new-york | new-york-eu-windows
  --input-timeframe TF timeframe of a quote-bars file whose name does not say it (must be M1)
  --symbol S           symbol to label the events with (default XAUUSD)
${PLAUSIBILITY_USAGE}
  --json               print the tables as JSON`;

export const MODELS_USAGE =
  `deno task models list|show ID|promote ID|rollback|push [--json] [--registry data/models] [--reason TEXT]
  list          every model with its stage, kind, created time and out-of-sample gate result
  show ID       one model's card and stage history (ID: full hash or a unique prefix of 8+)
  promote ID    candidate -> shadow -> production, only through the promotion gates
  rollback      restore the previous production model
  push --to URL --id ID [--token-file FILE]
                upload a model to a running server (POST /v1/models), registered there as a candidate;
                the API token comes from FILE (a 0600 secrets file or the token alone) or AIGS_API_TOKEN`;

export const PREDICT_USAGE =
  `deno task predict --model ID --data FILE --out FILE.csv [--spec FILE] [--registry data/models] [--threads 1]
  writes time_utc,p_down,p_flat,p_up for every M1 bar whose features are ready`;

export const TRAIN_USAGE =
  `deno task train --data FILE [--data FILE ...] [--from ISO] [--to ISO] [--config FILE.json] [--registry data/models] [--json OUT.json]
  files are read in the order given as one history (e.g. 2017 then 2018)
  --config   training config (docs/models.md); default: GBDT + random forest + logistic + MLP, stacked, calibrated
  prints the new model id (registered as a candidate) and the walk-forward table`;

export const BACKTEST_USAGE =
  `deno task backtest --data FILE [--data FILE ...] [--from ISO] [--to ISO] [--config FILE.json] [--params FILE.json] [--model ID | --no-ml] [--registry data/models] [--news CALENDAR.csv] --json OUT.json --report OUT.html
  the live pipeline fed from files against the simulated broker (docs/execution.md, docs/risk.md, docs/fusion.md)
  --no-ml    technical signals only; without it the registry's production model (or --model) is used
  --news     high-impact news calendar (docs/examples/news_calendar.csv); without it the news blackout is off
  --params   a parameter set written by \`optimize\` (params/<sha256>.json); --config values win over it`;

export const OPTIMIZE_USAGE =
  `deno task optimize --data FILE [--data FILE ...] --space SPACE.json [--folds 3] [--objective sharpe|net_profit|calmar] [--search grid|random --samples K --seed 42] [--out params] [--config BASE.json] [--model ID | --no-ml] [--from ISO] [--to ISO]
  walk-forward search of backtest parameters (docs/optimisation.md): the data's range is cut into N+1 blocks;
  fold k chooses on blocks 0..k and runs the choice once on block k+1
  --space    {"fusion.gate": [0.4, 0.5], "risk.riskPercent": [0.25, 0.5]}: dotted config paths, values simplest first
  --out DIR  where the set chosen on the latest in-sample window is written as <sha256>.json (load with backtest --params)`;

export const SWEEP_USAGE =
  `deno task sweep --config FILE [--nats URL] [--workers N] [--out results.sqlite] [--queue NAME] [--ack-wait S]
deno task sweep --worker --nats URL [--workers N] [--queue NAME] [--ack-wait S]
  Runs the research jobs FILE lists (walk-forward folds, parameter sweep points, Monte Carlo
  runs; docs/scale-out.md) and stores every result in SQLite; a rerun skips stored results.
  --config FILE  the sweep (JSON): data, base backtest config, jobs
  --nats URL     run the jobs on a NATS JetStream work queue (comma-separate several servers);
                 without it they run on local Deno Workers
  --workers N    job Workers in this process (default 2; with --nats, 0 leaves the jobs to
                 workers on other machines)
  --out FILE     SQLite results (default out/sweep.sqlite)
  --queue NAME   work queue name on NATS (default sweep)
  --ack-wait S   seconds a silent worker keeps a job before it is handed to another (default 30)
  --worker       serve jobs from --nats until interrupted (start one per machine)`;
