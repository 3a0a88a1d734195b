/**
 * What `GET /health` shows without a token: the health snapshot with every filesystem path
 * in a component's detail cut to its file name, so the public answer does not map the
 * server's disk. The authenticated `/v1/status` keeps the details whole. It must never
 * drop a component, a status or a counter.
 */

import type { HealthSnapshot } from "../health.ts";

/**
 * A path: absolute (`/srv/data/x.csv`, `~/x`, `C:\x`), or relative with a folder and a
 * file extension (`data/journal.sqlite`) or two folders or more (`a/b/c`). The last
 * segment is kept. Plain fractions and pairs such as `bid/ask` are left alone.
 */
const PATH =
  /(?<![\w/\\.~:-])(?:(?:~|[A-Za-z]:)?[/\\](?:[^\s"'`,;()[\]<>]+[/\\])*|\.{1,2}[/\\](?:[^\s"'`,;()[\]<>]+[/\\])*|[\w.-]+[/\\](?:[\w.-]+[/\\])+|[\w.-]+[/\\](?=[\w-]+\.\w{1,8}\b))/g;

/** `text` with the folders of every path taken out. */
export function withoutFolders(text: string): string {
  return text.replace(PATH, "");
}

/** The snapshot as the public may see it. */
export function publicHealth(snapshot: HealthSnapshot): HealthSnapshot {
  const components = Object.fromEntries(
    Object.entries(snapshot.components).map((
      [name, component],
    ) => [name, { ...component, detail: withoutFolders(component.detail) }]),
  );
  return { ...snapshot, components };
}
