/**
 * A real `nats-server` with JetStream for one test: on a loopback port it picks itself, storing in
 * a temporary folder, stopped by its PID. When the binary is not installed the test is
 * registered as ignored with a console line saying so, never passed silently.
 */

import { skippableTest } from "../../_skip.ts";

/** The `nats-server` binary: on the PATH, or where Debian puts it (/usr/sbin may not be on it). */
function findNatsServer(): string | null {
  for (const candidate of ["nats-server", "/usr/sbin/nats-server"]) {
    try {
      const ok =
        new Deno.Command(candidate, { args: ["--version"], stdout: "null", stderr: "null" })
          .outputSync().success;
      if (ok) return candidate;
    } catch {
      // Not there: try the next place.
    }
  }
  return null;
}

const NATS_SERVER = findNatsServer();
export const HAVE_NATS_SERVER = NATS_SERVER !== null;

export interface NatsServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the server on a port it picks itself (`-p -1`) and waits until it says which, in
 * its ports file, and accepts connections there. A port picked here and handed over could
 * be taken by another test's listener in between, and the connection check would then
 * reach that one instead.
 */
export async function startNatsServer(): Promise<NatsServer> {
  if (NATS_SERVER === null) throw new Error("nats-server is not installed");
  const storeDir = await Deno.makeTempDir({ prefix: "nats-js-" });
  const child = new Deno.Command(NATS_SERVER, {
    args: ["-js", "-a", "127.0.0.1", "-p", "-1", "-sd", storeDir, "--ports_file_dir", storeDir],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const portsFile = `${storeDir}/${NATS_SERVER.split("/").at(-1)}_${child.pid}.ports`;
  let exited: Deno.CommandStatus | null = null;
  child.status.then((status) => (exited = status));
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const url = (JSON.parse(await Deno.readTextFile(portsFile)) as { nats: string[] }).nats[0];
      (await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(url).port) })).close();
      return {
        url,
        pid: child.pid,
        async stop() {
          Deno.kill(child.pid, "SIGTERM");
          await child.status;
          await Deno.remove(storeDir, { recursive: true });
        },
      };
    } catch (error) {
      if (exited !== null || Date.now() > deadline) {
        if (exited === null) child.kill("SIGKILL");
        await child.status;
        await Deno.remove(storeDir, { recursive: true });
        throw new Error(
          `nats-server did not start listening${
            exited === null ? " within 10 s" : `: it exited with code ${exited!.code}`
          } (${(error as Error).message})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Registers a test that gets its own server; ignored, loudly, without the binary. */
export function natsTest(name: string, fn: (server: NatsServer) => Promise<void>): void {
  skippableTest(
    name,
    HAVE_NATS_SERVER ? null : "nats-server is not installed (apt-get install nats-server)",
    async () => {
      const server = await startNatsServer();
      try {
        await fn(server);
      } finally {
        await server.stop();
      }
    },
  );
}
