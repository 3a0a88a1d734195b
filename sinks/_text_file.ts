/**
 * A text file written in pieces that appears under its name only when complete: it is
 * written as `NAME.partial` and renamed on `commit()`, so a failed run never leaves a
 * file that looks finished. `abort()` removes the partial file.
 */

export interface TextFile {
  write(text: string): void;
  commit(): void;
  abort(): void;
}

export function createTextFile(path: string): TextFile {
  const partial = `${path}.partial`;
  const file = Deno.openSync(partial, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let open = true;
  const finish = () => {
    if (!open) return false;
    open = false;
    file.close();
    return true;
  };
  return {
    write(text) {
      const bytes = encoder.encode(text);
      let offset = 0;
      while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
    },
    commit() {
      if (finish()) Deno.renameSync(partial, path);
    },
    abort() {
      if (finish()) Deno.removeSync(partial);
    },
  };
}
