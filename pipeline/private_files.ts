/**
 * Files only their owner may read: the journal and the model registry hold trades, the
 * audit trail and models, so their folders are created 0700 and their SQLite files 0600
 * (SQLite gives its `-wal` and `-shm` files the mode of the database file). A database
 * file that already exists with access for group or others is tightened to 0600; an
 * existing folder is left as it is (it may be shared, such as /tmp). On Windows, where
 * Deno has no modes, these do nothing but create.
 * It must never widen a mode, nor change a folder it did not create.
 */

const POSIX = Deno.build.os !== "windows";

/** Takes every group and other bit off `path`, when it exists and has any. */
function tighten(path: string, mode: number): void {
  if (!POSIX) return;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) Deno.chmodSync(path, mode);
}

/** Creates `dir` and any missing parent with mode 0700; an existing folder is left alone. */
export function makePrivateDir(dir: string): void {
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Makes sure the SQLite database `path` exists with mode 0600 before SQLite opens it (an
 * empty file is a valid new database), and tightens its `-wal` and `-shm` files if any.
 */
export function preparePrivateDatabase(path: string): void {
  try {
    Deno.openSync(path, { createNew: true, write: true, mode: 0o600 }).close();
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) tighten(file, 0o600);
}
