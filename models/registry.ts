/**
 * The model registry: ONNX files named by the SHA-256 of their bytes, their cards beside
 * them and in SQLite, and a stage per model: candidate -> shadow -> production -> retired,
 * with rollback. Promotion passes the gates on out-of-sample metrics only: for a model
 * trained here, its card's; for an uploaded one, only a measurement the server made on
 * its own data (models/verification.ts), which the caller passes in. Loading re-hashes
 * the bytes and checks the feature spec hash against the card, the ONNX metadata and the
 * running spec, and refuses any mismatch by name.
 * It must never load anything but ONNX bytes (no pickles, no code), never promote on
 * in-sample figures, and never promote an uploaded model on its card's figures. Every
 * stage change and every measurement is recorded with its reason.
 */

import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { type ModelCard, parseModelCard } from "./card.ts";
import { makePrivateDir, preparePrivateDatabase } from "../pipeline/private_files.ts";

export const STAGES = ["candidate", "shadow", "production", "retired"] as const;
export type Stage = typeof STAGES[number];

export interface GateOptions {
  /** Required relative improvement of log loss over the class-prior baseline, e.g. 0.002 = 0.2%. */
  readonly margin: number;
  /** Share of folds that must beat the baseline by the margin, e.g. 0.6. */
  readonly minShareOfFolds: number;
}

export const DEFAULT_GATES: GateOptions = { margin: 0.002, minShareOfFolds: 0.6 };

export interface GateResult {
  readonly pass: boolean;
  readonly share: number;
  readonly folds: ReadonlyArray<
    { fold: number; logLoss: number; baselineLogLoss: number; improvement: number; pass: boolean }
  >;
  readonly reason: string;
}

/** Out-of-sample log losses of one fold: the model's and the class-prior baseline's. */
export interface FoldLogLoss {
  readonly fold: number;
  readonly logLoss: number;
  readonly baselineLogLoss: number;
}

/** Does the card's out-of-sample record beat the class-prior baseline as the gates demand? */
export function checkGates(card: ModelCard, gates: GateOptions): GateResult {
  return gateFromFolds(card.metrics.folds, gates);
}

/** The gates' verdict on per-fold log losses, wherever they were measured. */
export function gateFromFolds(metrics: readonly FoldLogLoss[], gates: GateOptions): GateResult {
  const folds = metrics.map((f) => {
    const improvement = (f.baselineLogLoss - f.logLoss) / f.baselineLogLoss;
    return {
      fold: f.fold,
      logLoss: f.logLoss,
      baselineLogLoss: f.baselineLogLoss,
      improvement,
      pass: improvement >= gates.margin,
    };
  });
  const passed = folds.filter((f) => f.pass).length;
  const share = passed / folds.length;
  const pass = share >= gates.minShareOfFolds;
  const reason = `${passed} of ${folds.length} folds beat the class-prior log loss by ` +
    `${(gates.margin * 100).toFixed(2)}% or more (share ${
      share.toFixed(2)
    }, required ${gates.minShareOfFolds})`;
  return { pass, share, folds, reason };
}

export interface RegisteredModel {
  readonly id: string;
  readonly stage: Stage;
  readonly card: ModelCard;
  readonly onnxPath: string;
}

export type ModelAction =
  | "register"
  | "verify"
  | "promote"
  | "replace"
  | "rollback"
  | "restore"
  | "retire";

/** Where a model came from: trained by this installation, or uploaded over the network. */
export type ModelOrigin = "local" | "upload";

export interface RegisterOptions {
  /** "upload" makes the card's metrics count for nothing at promotion (default "local"). */
  readonly origin?: ModelOrigin;
  /** Recorded with the registration ("uploaded by token:…"). */
  readonly reason?: string;
}

export interface ModelEvent {
  readonly seq: number;
  readonly id: string;
  readonly from: Stage | null;
  readonly to: Stage;
  readonly action: ModelAction;
  readonly at: string;
  readonly reason: string;
}

export interface RegistryOptions {
  readonly gates?: GateOptions;
  readonly now?: () => Date;
  /** Reads an ONNX file's metadata_props; the registry checks the spec hash there too. */
  readonly readMetadata: (bytes: Uint8Array) => Record<string, string>;
}

/** Refused: tampered bytes, a spec mismatch, an unknown id, a failed gate, a bad transition. */
export class RegistryError extends Error {
  override readonly name = "RegistryError";
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const short = (id: string) => `${id.slice(0, 12)}…`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS models (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  stage TEXT NOT NULL,
  created_at TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  parent TEXT,
  card TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS model_origins (
  id TEXT PRIMARY KEY REFERENCES models(id),
  origin TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS model_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL REFERENCES models(id),
  from_stage TEXT,
  to_stage TEXT NOT NULL,
  action TEXT NOT NULL,
  at TEXT NOT NULL,
  reason TEXT NOT NULL
) STRICT;
`;

export class Registry {
  private readonly db: DatabaseSync;
  private readonly gates: GateOptions;
  private readonly now: () => Date;
  private readonly readMetadata: (bytes: Uint8Array) => Record<string, string>;

  private constructor(readonly dir: string, options: RegistryOptions) {
    const file = join(dir, "registry.sqlite");
    preparePrivateDatabase(file);
    this.db = new DatabaseSync(file);
    // busy_timeout: several processes (serve's roles, a training machine's push) may open
    // one registry; a second writer waits for the first instead of failing "locked".
    this.db.exec("PRAGMA busy_timeout=5000; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    this.db.exec(SCHEMA);
    this.gates = options.gates ?? DEFAULT_GATES;
    this.now = options.now ?? (() => new Date());
    this.readMetadata = options.readMetadata;
  }

  /** Opens (creating if needed) the registry in `dir`. */
  static open(dir: string, options: RegistryOptions): Registry {
    makePrivateDir(dir);
    return new Registry(dir, options);
  }

  /** Closes the database; safe to call twice. */
  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /**
   * Registers ONNX bytes with their card as a candidate. The id is the bytes' SHA-256 and
   * must match the card's; the ONNX metadata must carry the card's feature spec hash.
   */
  register(bytes: Uint8Array, cardInput: unknown, options: RegisterOptions = {}): RegisteredModel {
    const card = parseModelCard(cardInput, "being registered");
    const id = sha256Hex(bytes);
    if (card.id !== id) {
      throw new RegistryError(
        `Cannot register model: its card names id ${short(card.id)} but the ONNX bytes hash to ${
          short(id)
        }`,
      );
    }
    this.checkMetadata(id, bytes, card);
    if (this.find(id)) throw new RegistryError(`Model ${short(id)} is already registered`);
    Deno.writeFileSync(join(this.dir, `${id}.onnx`), bytes, { mode: 0o600 });
    Deno.writeTextFileSync(join(this.dir, `${id}.json`), JSON.stringify(card, null, 2), {
      mode: 0o600,
    });
    this.db.prepare(
      "INSERT INTO models (id, kind, stage, created_at, spec_hash, parent, card) VALUES (?, ?, 'candidate', ?, ?, ?, ?)",
    ).run(id, card.kind, card.createdAt, card.featureSpec.hash, card.parent, JSON.stringify(card));
    const origin = options.origin ?? "local";
    this.db.prepare("INSERT INTO model_origins (id, origin) VALUES (?, ?)").run(id, origin);
    this.record(id, null, "candidate", "register", options.reason ?? "registered");
    return this.get(id);
  }

  /** Where the model came from; a model registered before origins were kept is "local". */
  origin(idOrPrefix: string): ModelOrigin {
    const { id } = this.get(idOrPrefix);
    const row = this.db.prepare("SELECT origin FROM model_origins WHERE id = ?").get(id) as
      | { origin: ModelOrigin }
      | undefined;
    return row?.origin ?? "local";
  }

  /** The registry's gates on per-fold log losses measured outside the card. */
  judge(folds: readonly FoldLogLoss[]): GateResult {
    return gateFromFolds(folds, this.gates);
  }

  /** Records a measurement (or why none could be made) in the model's history. */
  recordVerification(idOrPrefix: string, reason: string): void {
    const model = this.get(idOrPrefix);
    this.record(model.id, model.stage, model.stage, "verify", reason);
  }

  list(): RegisteredModel[] {
    const rows = this.db.prepare("SELECT id FROM models ORDER BY created_at, id").all() as Array<
      { id: string }
    >;
    return rows.map((row) => this.get(row.id));
  }

  /** A model by full id or unique prefix (at least 8 hex digits). */
  get(idOrPrefix: string): RegisteredModel {
    const model = this.find(idOrPrefix);
    if (!model) throw new RegistryError(`No model "${idOrPrefix}" in the registry at ${this.dir}`);
    return model;
  }

  private find(idOrPrefix: string): RegisteredModel | null {
    if (!/^[0-9a-f]{8,64}$/.test(idOrPrefix)) {
      throw new RegistryError(`"${idOrPrefix}" is not a model id (8 to 64 lowercase hex digits)`);
    }
    const rows = this.db.prepare("SELECT id, stage, card FROM models WHERE id LIKE ? || '%'").all(
      idOrPrefix,
    ) as Array<
      { id: string; stage: Stage; card: string }
    >;
    if (rows.length > 1) {
      throw new RegistryError(
        `Model id prefix "${idOrPrefix}" is ambiguous: ${rows.length} models`,
      );
    }
    if (rows.length === 0) return null;
    const [row] = rows;
    return {
      id: row.id,
      stage: row.stage,
      card: JSON.parse(row.card),
      onnxPath: join(this.dir, `${row.id}.onnx`),
    };
  }

  inStage(stage: Stage): RegisteredModel[] {
    const rows = this.db.prepare("SELECT id FROM models WHERE stage = ? ORDER BY created_at").all(
      stage,
    ) as Array<{ id: string }>;
    return rows.map((row) => this.get(row.id));
  }

  production(): RegisteredModel | null {
    return this.inStage("production")[0] ?? null;
  }

  shadow(): RegisteredModel | null {
    return this.inStage("shadow")[0] ?? null;
  }

  /**
   * Moves a model one stage up: candidate -> shadow, or shadow -> production, each only
   * through the gates. The gates judge `measured` when given (per-fold log losses the
   * server measured on its own data); without it, a model trained here is judged on its
   * card and an uploaded one is refused. A previous shadow or production model is retired.
   */
  promote(
    idOrPrefix: string,
    reason = "promoted",
    measured?: readonly FoldLogLoss[],
  ): { model: RegisteredModel; gate: GateResult } {
    const model = this.get(idOrPrefix);
    const to: Stage | undefined = model.stage === "candidate"
      ? "shadow"
      : model.stage === "shadow"
      ? "production"
      : undefined;
    if (!to) {
      throw new RegistryError(
        `Cannot promote ${
          short(model.id)
        }: it is ${model.stage}; only candidate and shadow models move up`,
      );
    }
    if (measured === undefined && this.origin(model.id) === "upload") {
      throw new RegistryError(
        `Cannot promote ${short(model.id)}: it was uploaded, and an uploaded model moves up ` +
          `only on the server's own measurement (POST /v1/models/:id/promote), never on its card's figures`,
      );
    }
    const gate = measured ? this.judge(measured) : checkGates(model.card, this.gates);
    if (!gate.pass) {
      throw new RegistryError(
        `Cannot promote ${short(model.id)} to ${to}: gate failed: ${gate.reason}`,
      );
    }
    this.transaction(() => {
      for (const previous of this.inStage(to)) {
        this.move(previous.id, previous.stage, "retired", "replace", `replaced by ${model.id}`);
      }
      this.move(model.id, model.stage, to, "promote", `${reason}; ${gate.reason}`);
    });
    return { model: this.get(model.id), gate };
  }

  /**
   * Retires the production model and restores the one in production before it. Models
   * rolled back from are never restored by a later rollback, so repeated rollbacks walk
   * back through history instead of toggling between two models.
   */
  rollback(reason = "rollback"): RegisteredModel {
    const current = this.production();
    if (!current) throw new RegistryError("Cannot roll back: no model is in production");
    const previous = this.db.prepare(
      `SELECT e.id FROM model_events e JOIN models m ON m.id = e.id
       WHERE e.to_stage = 'production' AND e.id != ? AND m.stage = 'retired'
         AND NOT EXISTS (SELECT 1 FROM model_events r WHERE r.id = e.id AND r.action = 'rollback')
       ORDER BY e.seq DESC LIMIT 1`,
    ).get(current.id) as { id: string } | undefined;
    if (!previous) {
      throw new RegistryError(
        `Cannot roll back ${short(current.id)}: no earlier production model to restore`,
      );
    }
    this.transaction(() => {
      this.move(current.id, "production", "retired", "rollback", reason);
      this.move(
        previous.id,
        "retired",
        "production",
        "restore",
        `${reason}: restored in place of ${current.id}`,
      );
    });
    return this.get(previous.id);
  }

  retire(idOrPrefix: string, reason = "retired"): RegisteredModel {
    const model = this.get(idOrPrefix);
    if (model.stage === "retired") return model;
    this.move(model.id, model.stage, "retired", "retire", reason);
    return this.get(model.id);
  }

  events(idOrPrefix?: string): ModelEvent[] {
    const id = idOrPrefix === undefined ? undefined : this.get(idOrPrefix).id;
    const rows =
      (id === undefined
        ? this.db.prepare("SELECT * FROM model_events ORDER BY seq").all()
        : this.db.prepare("SELECT * FROM model_events WHERE id = ? ORDER BY seq").all(id)) as Array<
          {
            seq: number;
            id: string;
            from_stage: Stage | null;
            to_stage: Stage;
            action: ModelAction;
            at: string;
            reason: string;
          }
        >;
    return rows.map((r) => ({
      seq: r.seq,
      id: r.id,
      from: r.from_stage,
      to: r.to_stage,
      action: r.action,
      at: r.at,
      reason: r.reason,
    }));
  }

  /**
   * The verified ONNX bytes of a model: re-hashed against the id, and with a feature spec
   * hash equal in the card, in the ONNX metadata and in the running spec.
   */
  load(idOrPrefix: string, runningSpecHash: string): { bytes: Uint8Array; card: ModelCard } {
    const model = this.get(idOrPrefix);
    const bytes = Deno.readFileSync(model.onnxPath);
    const actual = sha256Hex(bytes);
    if (actual !== model.id) {
      throw new RegistryError(
        `Cannot load model ${short(model.id)}: ${model.onnxPath} hashes to ${
          short(actual)
        }; the file was modified or corrupted`,
      );
    }
    if (model.card.featureSpec.hash !== runningSpecHash) {
      throw new RegistryError(
        `Cannot load model ${short(model.id)}: feature spec ${
          short(model.card.featureSpec.hash)
        } differs from the running spec ${short(runningSpecHash)}`,
      );
    }
    this.checkMetadata(model.id, bytes, model.card);
    return { bytes, card: model.card };
  }

  private checkMetadata(id: string, bytes: Uint8Array, card: ModelCard): void {
    let metadata: Record<string, string>;
    try {
      metadata = this.readMetadata(bytes);
    } catch (error) {
      throw new RegistryError(
        `Model ${short(id)} is not a readable ONNX file: ${(error as Error).message}`,
      );
    }
    if (metadata.feature_spec_hash !== card.featureSpec.hash) {
      throw new RegistryError(
        `Model ${short(id)}: its ONNX metadata names feature spec ${
          metadata.feature_spec_hash === undefined ? "(none)" : short(metadata.feature_spec_hash)
        } but its card names ${short(card.featureSpec.hash)}`,
      );
    }
  }

  private move(id: string, from: Stage, to: Stage, action: ModelAction, reason: string): void {
    this.db.prepare("UPDATE models SET stage = ? WHERE id = ?").run(to, id);
    this.record(id, from, to, action, reason);
  }

  private record(
    id: string,
    from: Stage | null,
    to: Stage,
    action: ModelAction,
    reason: string,
  ): void {
    this.db.prepare(
      "INSERT INTO model_events (id, from_stage, to_stage, action, at, reason) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(id, from, to, action, this.now().toISOString(), reason);
  }

  private transaction(fn: () => void): void {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      fn();
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }
}
