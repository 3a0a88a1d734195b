/**
 * The journal's `names` table: text many rows share (symbols, model ids, signal contexts)
 * stored once and referred to by a small integer id.
 *
 * Role: give `sinks/journal.ts` an id for a text inside its batch transaction, and the text
 * of an id when it reads, from memory after the first time.
 *
 * It must never hand out an id its transaction did not keep: the ids a rolled-back batch
 * made are forgotten (`rollback()`), and the next batch makes them again.
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";

export class JournalNames {
  readonly #ids = new Map<string, number>();
  readonly #names = new Map<number, string>();
  /** Names this transaction added, forgotten if it rolls back. */
  readonly #added: string[] = [];
  readonly #select: StatementSync;
  readonly #selectName: StatementSync;
  readonly #insert: StatementSync;

  constructor(db: DatabaseSync) {
    this.#select = db.prepare("SELECT id FROM names WHERE name = ?");
    this.#selectName = db.prepare("SELECT name FROM names WHERE id = ?");
    this.#insert = db.prepare("INSERT INTO names (name) VALUES (?)");
  }

  /** The id of `name`, added to the table (inside the caller's transaction) when new. */
  id(name: string): number {
    const known = this.find(name);
    if (known !== undefined) return known;
    const id = Number(this.#insert.run(name).lastInsertRowid);
    this.#remember(name, id);
    this.#added.push(name);
    return id;
  }

  /** The id of `name` if the table holds it, without adding it. */
  find(name: string): number | undefined {
    const cached = this.#ids.get(name);
    if (cached !== undefined) return cached;
    const row = this.#select.get(name) as { id: number } | undefined;
    if (row !== undefined) this.#remember(name, row.id);
    return row?.id;
  }

  /** The text of `id`; another connection may have added it since this one last looked. */
  name(id: number): string {
    const cached = this.#names.get(id);
    if (cached !== undefined) return cached;
    const row = this.#selectName.get(id) as { name: string } | undefined;
    if (row === undefined) throw new RangeError(`the journal's names table has no id ${id}`);
    this.#remember(row.name, id);
    return row.name;
  }

  /** The transaction committed: its names are kept. */
  commit(): void {
    this.#added.length = 0;
  }

  /** The transaction rolled back: its names are gone from the table, so from memory too. */
  rollback(): void {
    for (const name of this.#added) {
      this.#names.delete(this.#ids.get(name)!);
      this.#ids.delete(name);
    }
    this.#added.length = 0;
  }

  #remember(name: string, id: number): void {
    this.#ids.set(name, id);
    this.#names.set(id, name);
  }
}
