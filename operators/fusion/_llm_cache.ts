/**
 * The LLM analyst's record of answers in SQLite, keyed by (prompt hash, model): live
 * runs write every validated answer, backtests read them back, so a replay sees exactly
 * the answers the live run saw (or runs without them). Only validated answers are
 * stored; a failure is never recorded as an answer.
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";

export class LlmCache {
  private readonly db: DatabaseSync;
  private readonly select: StatementSync;
  private readonly insert: StatementSync;

  constructor(readonly path: string) {
    if (path !== ":memory:") Deno.mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    try {
      this.db.exec(
        `PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;
         CREATE TABLE IF NOT EXISTS llm_answers (
           prompt_hash TEXT NOT NULL,
           model TEXT NOT NULL,
           created_at TEXT NOT NULL,
           answer_json TEXT NOT NULL,
           PRIMARY KEY (prompt_hash, model)
         )`,
      );
    } catch (error) {
      this.db.close();
      throw new Error(`Cannot open the LLM answer cache "${path}": ${(error as Error).message}`);
    }
    this.select = this.db.prepare(
      "SELECT answer_json FROM llm_answers WHERE prompt_hash = ? AND model = ?",
    );
    this.insert = this.db.prepare(
      `INSERT INTO llm_answers (prompt_hash, model, created_at, answer_json) VALUES (?, ?, ?, ?)
       ON CONFLICT (prompt_hash, model) DO NOTHING`,
    );
  }

  /** The recorded answer's JSON text, or null. */
  get(promptHash: string, model: string): string | null {
    const row = this.select.get(promptHash, model) as { answer_json: string } | undefined;
    return row?.answer_json ?? null;
  }

  /** Records an answer; the first one recorded for a key stays. */
  put(promptHash: string, model: string, createdAt: string, answerJson: string): void {
    this.insert.run(promptHash, model, createdAt, answerJson);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
