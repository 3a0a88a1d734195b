-- A version-2 journal as the build of commit 8f55b92 wrote it (sqlite3 .dump of the file
-- `_journal_v2_write.ts` made there): the old journal the migration tests open.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT INTO schema_migrations VALUES(1,'2024-03-04T00:00:00.000Z');
INSERT INTO schema_migrations VALUES(2,'2024-03-04T00:00:00.000Z');
CREATE TABLE bars (
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    open_us INTEGER NOT NULL,
    close_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    bid_open REAL NOT NULL,
    bid_high REAL NOT NULL,
    bid_low REAL NOT NULL,
    bid_close REAL NOT NULL,
    ask_open REAL,
    ask_high REAL,
    ask_low REAL,
    ask_close REAL,
    spread REAL,
    volume REAL NOT NULL,
    PRIMARY KEY (symbol, timeframe, open_us)
  ) STRICT, WITHOUT ROWID;
INSERT INTO bars VALUES('XAUUSD','M1',1709510400000000,1709510460000000,1,2050.1199999999998907,2051.3000000000001818,2049.0100000000002183,2050.7699999999999818,NULL,NULL,NULL,NULL,0.30999999999999999777,120.0);
CREATE TABLE gaps (
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    from_us INTEGER NOT NULL,
    to_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    missing_session_minutes REAL NOT NULL,
    category TEXT NOT NULL,
    PRIMARY KEY (symbol, timeframe, from_us)
  ) STRICT, WITHOUT ROWID;
CREATE TABLE signals (
    symbol TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    side TEXT NOT NULL,
    confidence REAL NOT NULL,
    entry_price REAL NOT NULL,
    stop_loss REAL,
    take_profit REAL,
    stop_distance REAL,
    take_distance REAL,
    stop_points REAL,
    take_points REAL,
    votes TEXT NOT NULL,
    regime_volatility TEXT,
    regime_trend TEXT,
    spec_hash TEXT NOT NULL,
    model_id TEXT,
    PRIMARY KEY (symbol, time_us)
  ) STRICT, WITHOUT ROWID;
INSERT INTO signals VALUES('XAUUSD',1709510460000000,1,'buy',0.70999999999999996447,2051.0799999999999273,2048.0799999999999272,2057.0799999999999272,3.0,6.0,300.0,600.0,'[{"source":"technical","side":"buy","confidence":0.6,"weight":0.4,"reasons":["rsi_low"]},{"source":"ml","side":"buy","confidence":0.8,"weight":0.6,"reasons":[]}]','high','bull','c3d4e5','9f3c01');
INSERT INTO signals VALUES('XAUUSD',1709510520000000,1,'hold',0.11235055835928696443,2051.7699999999999818,NULL,NULL,NULL,NULL,NULL,NULL,'[{"source":"technical","side":"buy","confidence":0.11235055835928696,"weight":0.5294117647058824,"reasons":["score +0.11","rsi M1 38.1: +0.59 x 0.1","rsi M15 43.3: -0.34 x 0.08","rsi H1 52.1: +0.10 x 0.07","macd M5 cross up 4m ago: +0.60 x 0.1","macd M5 histogram +0.03 atr: +0.28 x 0.15","ema M1 cross down 3m ago: -0.70 x 0.1","ema alignment M5 -0.75 M15 -0.34 H1 +0.35: -0.30 x 0.2","stochastic M1 K 20.0 D 17.6: +1.00 x 0.1","support/resistance M15 34.1 atr above support, 30.1 below resistance: +0.00 x 0.1"]},{"source":"ml","side":"flat","confidence":0.9296383261680603,"weight":0.47058823529411764,"reasons":["model 9f3c01","p(down/flat/up) 0.036/0.930/0.035","member agreement 1.00 of 4","down does not beat flat"]},{"source":"regime","side":"flat","confidence":0.832260042931617,"weight":0,"reasons":["H1 trend range (ADX 14.5, efficiency 0.17)","H1 volatility normal (percentile 0.57)","modifier: buy x 0.90, sell x 0.90"]}]','normal','range','c3d4e5','9f3c01');
INSERT INTO signals VALUES('XAUUSD',1709510580000000,1,'hold',0.0,2052.7699999999999818,NULL,NULL,NULL,NULL,NULL,NULL,'[]',NULL,NULL,'c3d4e5',NULL);
CREATE TABLE risk_decisions (
    symbol TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    side TEXT NOT NULL,
    decision TEXT NOT NULL,
    lots REAL NOT NULL,
    stop_loss REAL,
    take_profit REAL,
    reasons TEXT NOT NULL,
    state TEXT NOT NULL,
    client_order_id TEXT,
    PRIMARY KEY (symbol, time_us)
  ) STRICT, WITHOUT ROWID;
INSERT INTO risk_decisions VALUES('XAUUSD',1709510460000000,1,'buy','accept',0.11999999999999999555,2048.0799999999999272,2057.0799999999999272,'[{"code":"size_capped","detail":"0.2 lots capped to 0.12 by max risk"}]','active','XAUUSD-1709510460000000-buy');
CREATE TABLE orders (
    client_order_id TEXT NOT NULL PRIMARY KEY,
    symbol TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    action TEXT NOT NULL,
    side TEXT NOT NULL,
    lots REAL NOT NULL,
    stop_loss REAL,
    take_profit REAL,
    position_id TEXT,
    reason TEXT NOT NULL,
    done_status TEXT,
    done_reason TEXT
  ) STRICT;
INSERT INTO orders VALUES('XAUUSD-1709510460000000-buy','XAUUSD',1709510460000000,1,'open','buy',0.11999999999999999555,2048.0799999999999272,2057.0799999999999272,NULL,'signal',NULL,NULL);
INSERT INTO orders VALUES('XAUUSD-1709512260000000-close-XAUUSD-1709510460000000-buy','XAUUSD',1709512260000000,1,'close','sell',0.11999999999999999555,NULL,NULL,'XAUUSD-1709510460000000-buy','signal',NULL,NULL);
CREATE TABLE fills (
    client_order_id TEXT NOT NULL,
    action TEXT NOT NULL,
    position_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    side TEXT NOT NULL,
    lots REAL NOT NULL,
    price REAL NOT NULL,
    commission REAL NOT NULL,
    slippage REAL NOT NULL,
    reason TEXT NOT NULL,
    UNIQUE (client_order_id, action, position_id)
  ) STRICT;
INSERT INTO fills VALUES('XAUUSD-1709510460000000-buy','open','XAUUSD-1709510460000000-buy','XAUUSD',1709510460250000,1,'buy',0.11999999999999999555,2051.1300000000001091,0.83999999999999996891,0.050000000000000002775,'market');
INSERT INTO fills VALUES('XAUUSD-1709512260000000-close-XAUUSD-1709510460000000-buy','close','XAUUSD-1709510460000000-buy','XAUUSD',1709512260250000,1,'sell',0.11999999999999999555,2053.400000000000091,0.83999999999999996891,0.050000000000000002775,'signal');
CREATE TABLE trades (
    position_id TEXT NOT NULL PRIMARY KEY,
    symbol TEXT NOT NULL,
    v INTEGER NOT NULL,
    side TEXT NOT NULL,
    lots REAL NOT NULL,
    entry_time_us INTEGER NOT NULL,
    entry_price REAL NOT NULL,
    exit_time_us INTEGER NOT NULL,
    exit_price REAL NOT NULL,
    exit_reason TEXT NOT NULL,
    pnl REAL NOT NULL,
    commission REAL NOT NULL,
    swap REAL NOT NULL,
    spread_cost REAL NOT NULL,
    mae REAL NOT NULL,
    mfe REAL NOT NULL
  ) STRICT;
INSERT INTO trades VALUES('XAUUSD-1709510460000000-buy','XAUUSD',1,'buy',0.11999999999999999555,1709510460250000,2051.1300000000001091,1709512260250000,2053.400000000000091,'signal',25.559999999999998721,1.6799999999999999378,-0.11999999999999999555,7.2000000000000001776,-4.7999999999999998223,31.199999999999999289);
CREATE TABLE account_states (
    time_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    balance REAL NOT NULL,
    equity REAL NOT NULL,
    margin REAL NOT NULL,
    open_positions INTEGER NOT NULL,
    UNIQUE (time_us, balance, equity, margin, open_positions)
  ) STRICT;
INSERT INTO account_states VALUES(1709510460000000,1,10000.0,10000.5,246.13999999999998636,1);
INSERT INTO account_states VALUES(1709512260250000,1,10000.0,10025.55999999999949,246.13999999999998636,0);
CREATE TABLE regimes (
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    volatility TEXT NOT NULL,
    trend TEXT NOT NULL,
    realised_volatility REAL NOT NULL,
    volatility_percentile REAL NOT NULL,
    adx REAL NOT NULL,
    efficiency_ratio REAL NOT NULL,
    move REAL NOT NULL,
    PRIMARY KEY (symbol, timeframe, time_us)
  ) STRICT, WITHOUT ROWID;
INSERT INTO regimes VALUES('XAUUSD','M1',1709510460000000,1,'high','bull',0.00040999999999999999118,0.82999999999999996003,31.5,0.41999999999999998445,0.0022999999999999999611);
CREATE TABLE predictions (
    symbol TEXT NOT NULL,
    open_us INTEGER NOT NULL,
    model_id TEXT NOT NULL,
    role TEXT NOT NULL,
    close_us INTEGER NOT NULL,
    v INTEGER NOT NULL,
    p_down REAL NOT NULL,
    p_flat REAL NOT NULL,
    p_up REAL NOT NULL,
    agreement REAL NOT NULL,
    members TEXT NOT NULL,
    PRIMARY KEY (symbol, open_us, model_id, role)
  ) STRICT, WITHOUT ROWID;
INSERT INTO predictions VALUES('XAUUSD',1709510400000000,'9f3c01','production',1709510460000000,1,0.2000000000000000111,0.29999999999999998889,0.5,0.66666666666666662965,'[[0.1,0.3,0.6],[0.3,0.3,0.4],[0.2,0.3,0.5]]');
INSERT INTO predictions VALUES('XAUUSD',1709510400000000,'a1b2c3','shadow',1709510460000000,1,0.2000000000000000111,0.29999999999999998889,0.5,0.66666666666666662965,'[[0.1,0.3,0.6],[0.3,0.3,0.4],[0.2,0.3,0.5]]');
INSERT INTO predictions VALUES('XAUUSD',1709510460000000,'9f3c01','production',1709510520000000,1,0.035999998450279235839,0.93000000715255737304,0.034000001847743988037,0.75,'[[0.33000001311302185,0.30000001192092896,0.3700000047683716],[0.3100000023841858,0.4000000059604645,0.28999999165534973],[0.2800000011920929,0.46000000834465027,0.25999999046325684],[0.23000000417232513,0.47999998927116394,0.28999999165534973]]');
CREATE TABLE model_events (
    time_us INTEGER NOT NULL,
    model_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
  ) STRICT;
CREATE TABLE config_changes (
    version INTEGER NOT NULL PRIMARY KEY,
    time_us INTEGER NOT NULL,
    actor TEXT NOT NULL,
    config TEXT NOT NULL
  ) STRICT;
INSERT INTO config_changes VALUES(1,1709510400000000,'serve --config config.json','{"fusion":{"gate":0.6}}');
CREATE TABLE audit_log (
    time_us INTEGER NOT NULL,
    actor TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    detail TEXT
  ) STRICT;
CREATE INDEX signals_by_time ON signals (time_us);
CREATE INDEX risk_decisions_by_time ON risk_decisions (time_us);
CREATE INDEX trades_by_exit ON trades (exit_time_us);
CREATE INDEX regimes_by_time ON regimes (time_us);
COMMIT;
