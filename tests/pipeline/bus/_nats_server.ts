/**
 * A real `nats-server` with JetStream for one test: on a free loopback port, storing in
 * a temporary folder, stopped by its PID. When the binary is not installed the test is
 * registered as ignored with a console line saying so, never passed silently.
 */

import { freePort } from "../../_net.ts";
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

/** Starts the server and waits until it accepts connections. */
export async function startNatsServer(): Promise<NatsServer> {
  const storeDir = await Deno.makeTempDir({ prefix: "nats-js-" });
  const port = freePort();
  if (NATS_SERVER === null) throw new Error("nats-server is not installed");
  const child = new Deno.Command(NATS_SERVER, {
    args: ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`nats-server did not listen on ${port}: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      Deno.kill(child.pid, "SIGTERM");
      await child.status;
      await Deno.remove(storeDir, { recursive: true });
    },
  };
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
