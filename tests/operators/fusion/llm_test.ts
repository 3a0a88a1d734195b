/**
 * `LlmAnalyst` against a local OpenAI-compatible server started by each test on
 * 127.0.0.1 and a free port: the request it sends, an answer used from the next decision
 * on, a slow answer dropped at the timeout without delaying anything, HTTP and JSON
 * failures leaving the source absent, answers recorded in SQLite and replayed exactly
 * with the server stopped, and an API key that never reaches a log line.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  chatMessages,
  LlmAnalyst,
  type LlmConfig,
  llmConfigSchema,
  promptHash,
} from "@/operators/fusion/mod.ts";
import { US_PER_MINUTE } from "@/pipeline/events.ts";
import { completion, sleepUnlessAborted, START_US, startServer, summaryAt } from "./_fixtures.ts";

const KEY = "sk-test-0123456789abcdef-SECRET";
const KEY_ENV = "FUSION_TEST_LLM_KEY";
const ANSWER = { side: "buy", confidence: 0.7, reasons: ["RSI M1 oversold in an H1 uptrend"] };
const T0 = START_US;
const NEXT = T0 + US_PER_MINUTE;

function configFor(baseUrl: string, overrides: Partial<LlmConfig> = {}): LlmConfig {
  return llmConfigSchema.parse({
    enabled: true,
    baseUrl,
    model: "local-test-model",
    apiKeyEnv: KEY_ENV,
    timeoutMs: 1000,
    cachePath: ":memory:",
    ...overrides,
  });
}

/** An analyst whose log lines are kept, with the key in its environment. */
function analystFor(config: LlmConfig) {
  const lines: string[] = [];
  const analyst = new LlmAnalyst({
    config,
    env: (name) => (name === KEY_ENV ? KEY : undefined),
    now: () => Date.UTC(2026, 0, 2),
    log: (line) => lines.push(line),
  });
  return { analyst, lines };
}

Deno.test("LlmAnalyst sends a chat completion with the key as a Bearer header", async () => {
  const server = startServer(() => completion(JSON.stringify(ANSWER)));
  Deno.env.set(KEY_ENV, KEY);
  const analyst = new LlmAnalyst({ config: configFor(server.baseUrl) });
  try {
    analyst.request(summaryAt(T0), T0);
    await analyst.idle();
    assert.equal(server.received.length, 1);
    const { method, url, headers, body } = server.received[0];
    assert.equal(method, "POST");
    assert.equal(new URL(url).pathname, "/v1/chat/completions");
    assert.equal(headers.get("authorization"), `Bearer ${KEY}`);
    assert.equal(body.model, "local-test-model");
    assert.deepEqual(body.response_format, { type: "json_object" });
    assert.deepEqual(body.messages, chatMessages(summaryAt(T0)));
    assert.ok(!analyst.describe().includes(KEY), analyst.describe());
  } finally {
    Deno.env.delete(KEY_ENV);
    await analyst.close();
    await server.stop();
  }
});

Deno.test("LlmAnalyst sends no Authorization header when the key variable is unset", async () => {
  const server = startServer(() => completion(JSON.stringify(ANSWER)));
  const analyst = new LlmAnalyst({ config: configFor(server.baseUrl), env: () => undefined });
  try {
    analyst.request(summaryAt(T0), T0);
    await analyst.idle();
    assert.equal(server.received[0].headers.get("authorization"), null);
    assert.equal(analyst.voteFor(NEXT)?.side, "buy");
  } finally {
    await analyst.close();
    await server.stop();
  }
});

Deno.test("LlmAnalyst.voteFor() returns an answer from the next decision until it is too old", async () => {
  const server = startServer(() => completion(JSON.stringify(ANSWER)));
  const { analyst } = analystFor(configFor(server.baseUrl, { maxAgeMinutes: 10 }));
  try {
    analyst.request(summaryAt(T0), T0);
    assert.equal(analyst.voteFor(T0), null, "nothing has arrived yet");
    await analyst.idle();
    assert.equal(analyst.voteFor(T0), null, "never for the decision that asked");
    assert.deepEqual(analyst.voteFor(NEXT), {
      source: "llm",
      side: "buy",
      confidence: 0.7,
      reasons: ["local-test-model asked at 2017-03-06T00:00:00Z", ...ANSWER.reasons],
    });
    assert.equal(analyst.voteFor(T0 + 10 * US_PER_MINUTE)?.side, "buy");
    assert.equal(analyst.voteFor(T0 + 11 * US_PER_MINUTE), null);
    assert.equal(analyst.voteFor(T0 + 12 * US_PER_MINUTE), null);
    assert.equal(analyst.stats.expired, 1);
    assert.equal(analyst.stats.answered, 1);
  } finally {
    await analyst.close();
    await server.stop();
  }
});

Deno.test("LlmAnalyst.request() asks at most once per interval and once at a time", async () => {
  const server = startServer(() => completion(JSON.stringify(ANSWER)));
  const { analyst } = analystFor(configFor(server.baseUrl, { requestEveryMinutes: 5 }));
  try {
    analyst.request(summaryAt(T0), T0);
    analyst.request(summaryAt(NEXT), NEXT); // too soon: not even counted as busy
    analyst.request(summaryAt(T0 + 5 * US_PER_MINUTE), T0 + 5 * US_PER_MINUTE); // busy
    await analyst.idle();
    assert.equal(server.received.length, 1);
    assert.equal(analyst.stats.skippedBusy, 1);
    analyst.request(summaryAt(T0 + 6 * US_PER_MINUTE), T0 + 6 * US_PER_MINUTE);
    await analyst.idle();
    assert.equal(server.received.length, 2);
  } finally {
    await analyst.close();
    await server.stop();
  }
});

Deno.test("LlmAnalyst drops a slow answer at the timeout and never delays a decision", async () => {
  const server = startServer(async (_request, stopping) => {
    await sleepUnlessAborted(3000, stopping);
    return completion(JSON.stringify(ANSWER));
  });
  const { analyst, lines } = analystFor(configFor(server.baseUrl, { timeoutMs: 200 }));
  try {
    const start = performance.now();
    analyst.request(summaryAt(T0), T0);
    const vote = analyst.voteFor(NEXT);
    const decided = performance.now() - start;
    assert.equal(vote, null);
    assert.ok(decided < 50, `the decision took ${decided.toFixed(1)} ms`);
    await analyst.idle();
    const settled = performance.now() - start;
    assert.ok(settled >= 150 && settled < 1500, `the call settled after ${settled.toFixed(0)} ms`);
    assert.equal(analyst.stats.failures.timeout, 1);
    assert.equal(analyst.voteFor(T0 + 2 * US_PER_MINUTE), null);
    assert.match(lines[0], /\(timeout\): no answer within 200 ms/);
  } finally {
    await analyst.close();
    await server.stop();
  }
});

Deno.test("LlmAnalyst leaves the source absent on HTTP errors and never writes the key", async () => {
  const server = startServer((request) =>
    new Response(`upstream failed for ${request.headers.get("authorization")}`, { status: 500 })
  );
  const { analyst, lines } = analystFor(configFor(server.baseUrl));
  try {
    analyst.request(summaryAt(T0), T0);
    await analyst.idle();
    assert.equal(analyst.voteFor(NEXT), null);
    assert.equal(analyst.stats.failures.http, 1);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /\(http\): HTTP 500: "upstream failed for Bearer …CRET"/);
    for (const text of [...lines, analyst.stats.lastError!, analyst.describe()]) {
      assert.ok(!text.includes(KEY), `the key leaked into: ${text}`);
    }
  } finally {
    await analyst.close();
    await server.stop();
  }
});

Deno.test("LlmAnalyst leaves the source absent on answers it cannot use", async (t) => {
  const cases: [string, () => Response, "bad_json" | "schema"][] = [
    ["a body that is not JSON", () => new Response("<html>oops</html>"), "bad_json"],
    ["a body that is not a chat completion", () => Response.json({ error: "no" }), "schema"],
    ["an answer that is not JSON", () => completion("I think gold goes up."), "bad_json"],
    [
      "an answer outside the schema",
      () => completion(JSON.stringify({ ...ANSWER, confidence: 1.7 })),
      "schema",
    ],
    [
      "an answer with an unknown side",
      () => completion('{"side":"hold","confidence":0.3}'),
      "schema",
    ],
  ];
  for (const [name, respond, kind] of cases) {
    await t.step(name, async () => {
      const server = startServer(respond);
      const { analyst, lines } = analystFor(configFor(server.baseUrl));
      try {
        analyst.request(summaryAt(T0), T0);
        await analyst.idle();
        assert.equal(analyst.voteFor(NEXT), null);
        assert.equal(analyst.stats.failures[kind], 1, JSON.stringify(analyst.stats));
        assert.equal(lines.length, 1);
      } finally {
        await analyst.close();
        await server.stop();
      }
    });
  }
});

Deno.test("LlmAnalyst takes a JSON answer out of a Markdown fence, any case of side", async () => {
  const server = startServer(() =>
    completion("```json\n" + JSON.stringify({ ...ANSWER, side: "SELL" }) + "\n```")
  );
  const { analyst } = analystFor(configFor(server.baseUrl));
  try {
    analyst.request(summaryAt(T0), T0);
    await analyst.idle();
    assert.equal(analyst.voteFor(NEXT)?.side, "sell");
  } finally {
    await analyst.close();
    await server.stop();
  }
});

Deno.test("LlmAnalyst records answers in SQLite and replays them exactly with the server stopped", async () => {
  const dir = await Deno.makeTempDir();
  const cachePath = `${dir}/llm/answers.sqlite`;
  const server = startServer(() => completion(JSON.stringify(ANSWER)));
  const live = analystFor(configFor(server.baseUrl, { cachePath })).analyst;
  let liveVote;
  try {
    live.request(summaryAt(T0), T0);
    await live.idle();
    liveVote = live.voteFor(NEXT);
    // Asked again, live mode answers the same prompt from the record.
    live.request(summaryAt(T0), T0 + 10 * US_PER_MINUTE);
    assert.equal(live.stats.cacheHits, 1);
    assert.equal(server.received.length, 1);
  } finally {
    await live.close();
    await server.stop();
  }

  const db = new DatabaseSync(cachePath);
  const rows = db.prepare("SELECT * FROM llm_answers").all().map((row) => ({ ...row }));
  db.close();
  assert.deepEqual(rows, [{
    prompt_hash: promptHash(chatMessages(summaryAt(T0))),
    model: "local-test-model",
    created_at: "2026-01-02T00:00:00.000Z",
    answer_json: JSON.stringify(ANSWER),
  }]);

  const replay = analystFor(configFor(server.baseUrl, { cachePath, mode: "replay" })).analyst;
  try {
    replay.request(summaryAt(T0), T0);
    assert.deepEqual(replay.voteFor(NEXT), liveVote, "the same vote, with no server");
    replay.request(summaryAt(T0 + 10 * US_PER_MINUTE), T0 + 10 * US_PER_MINUTE);
    assert.equal(replay.stats.missing, 1, "a prompt never asked live has no answer");
    assert.equal(replay.voteFor(T0 + 11 * US_PER_MINUTE), null);
    assert.equal(replay.stats.failures.network, 0);
  } finally {
    await replay.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LlmAnalyst does nothing when disabled", () => {
  const { analyst } = analystFor(configFor("http://127.0.0.1:9/v1", { enabled: false }));
  analyst.request(summaryAt(T0), T0);
  assert.equal(analyst.voteFor(NEXT), null);
  assert.equal(analyst.stats.requested, 0);
  assert.equal(analyst.describe(), "LLM analyst disabled");
});
