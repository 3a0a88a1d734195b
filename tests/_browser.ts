/**
 * What the browser tests share: Debian's Chromium with the flags a root, offline, headless
 * run needs, a registration that skips loudly without Chromium or the real data, the
 * scenario run in a child process, and checks on a page (cut text, painted canvases).
 * playwright-core never downloads a browser of its own.
 */

import { skippableTest } from "./_skip.ts";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { dataTest } from "./_data.ts";
import { finished } from "./pipeline/commands/_run.ts";

export const CHROMIUM = "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Chromium, headless and offline. Only inside a scenario's child process (see below). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * Registers a browser test that runs `scenarioFile` (a test module run directly) in a
 * child process, when Chromium and the data files are present; skips loudly otherwise.
 * The child has -A because playwright-core reads the home folder, the OS release and
 * /proc at import, which `deno test`'s permissions (no --allow-sys) refuse; it talks to
 * 127.0.0.1 and file:// only.
 */
export function browserTest(name: string, data: string, scenarioFile: string): void {
  let haveChromium = false;
  try {
    haveChromium = Deno.statSync(CHROMIUM).isFile;
  } catch {
    // Absent: reported below.
  }
  if (!haveChromium) {
    skippableTest(name, `${CHROMIUM} is missing (apt-get install -y chromium)`, () => {});
    return;
  }
  dataTest(name, data, async () => {
    const child = await finished(
      `the browser scenario ${scenarioFile}`,
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", scenarioFile],
        stdout: "piped",
        stderr: "piped",
      }).spawn(),
    );
    const decoder = new TextDecoder();
    assert.equal(
      child.code,
      0,
      `the browser scenario failed:\n${decoder.decode(child.stdout)}${
        decoder.decode(child.stderr)
      }`,
    );
  });
}

/** Collects the page's console messages and errors, for the message of a failed scenario. */
export function pageLog(page: Page, log: string[]): Page {
  page.setDefaultTimeout(5000);
  page.on("console", (message) => log.push(`console.${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => log.push(`page error: ${error.message}`));
  return page;
}

/**
 * Every visible element whose content is wider than its box (cut or spilling text), and
 * the page itself when it scrolls sideways; empty when everything fits.
 */
export async function overflowing(page: Page): Promise<string[]> {
  const found = await page.$$eval("body *", (elements) =>
    elements
      .filter((element) => element.getClientRects().length > 0)
      .filter((element) => element.scrollWidth > element.clientWidth + 1)
      .map((element) =>
        `${element.tagName.toLowerCase()}#${element.id}.${element.className} ` +
        `"${
          (element.textContent ?? "").slice(0, 30)
        }" ${element.scrollWidth} > ${element.clientWidth}`
      ));
  const [width, viewport] = await page.$eval("html", (root) => [
    root.scrollWidth,
    root.ownerDocument.defaultView!.innerWidth,
  ]);
  if (width > viewport) found.push(`the page is ${width} px wide in a ${viewport} px viewport`);
  return found;
}

/** Non-blank pixels in the canvases under `selector` (the chart library draws there). */
export function paintedPixels(page: Page, selector: string): Promise<number> {
  return page.$$eval(`${selector} canvas`, (canvases) =>
    canvases.reduce((sum, canvas) => {
      const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
      return sum + painted;
    }, 0));
}

/** The bottom edge of an element, in page pixels. */
export async function bottomOf(page: Page, selector: string): Promise<number> {
  const box = await (await page.$(selector))!.boundingBox();
  return box!.y + box!.height;
}

/** A chart library time scale, as far as the tests use it (`globalThis.*Charts`). */
export interface TimeScale {
  getVisibleRange(): { from: number; to: number };
  getVisibleLogicalRange(): { from: number; to: number };
  setVisibleLogicalRange(range: { from: number; to: number }): void;
  timeToIndex(time: number): number | null;
  fitContent(): void;
}

export interface Chart {
  timeScale(): TimeScale;
}
