/**
 * Splits a byte stream into newline-terminated lines under a byte limit, in time linear in
 * the bytes received: each byte is copied in once and scanned for a newline once, and the
 * partial line is moved to the front of the buffer at most once per line taken out. The
 * buffer never holds more than the limit plus one chunk, whatever a client sends.
 * It must never rescan bytes already scanned, nor return a line longer than the limit.
 */

const NEWLINE = 0x0a;

/** What `next()` returns for a line over the limit; after it the splitter is spent. */
export const LINE_TOO_LONG = null;

export class LineSplitter {
  /** Longest line accepted, in bytes without its newline; may change between lines. */
  maxBytes: number;
  #buffer: Uint8Array;
  /** Start of the first line not yet taken out. */
  #start = 0;
  /** End of the bytes received. */
  #end = 0;
  /** Bytes in [#start, #scanned) hold no newline. */
  #scanned = 0;
  readonly #decoder = new TextDecoder();

  constructor(maxBytes: number, initialBytes = 4096) {
    this.maxBytes = maxBytes;
    this.#buffer = new Uint8Array(initialBytes);
  }

  /** Appends a chunk (copied: the caller may reuse it). */
  push(chunk: Uint8Array): void {
    if (this.#start === this.#end) this.#start = this.#end = this.#scanned = 0;
    if (this.#end + chunk.length > this.#buffer.length && this.#start > 0) {
      // Move the partial line to the front: once per line taken out, so linear overall.
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#scanned -= this.#start;
      this.#start = 0;
    }
    if (this.#end + chunk.length > this.#buffer.length) {
      let size = this.#buffer.length * 2;
      while (size < this.#end + chunk.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.#buffer.subarray(0, this.#end));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /**
   * The next complete line, trimmed (empty lines are skipped); `undefined` until one is
   * complete; `LINE_TOO_LONG` (null) when the line being read already exceeds `maxBytes`.
   */
  next(): string | null | undefined {
    while (true) {
      const at = this.#buffer.subarray(this.#scanned, this.#end).indexOf(NEWLINE);
      if (at < 0) {
        this.#scanned = this.#end;
        return this.#end - this.#start > this.maxBytes ? LINE_TOO_LONG : undefined;
      }
      const newline = this.#scanned + at;
      const length = newline - this.#start;
      const bytes = this.#buffer.subarray(this.#start, newline);
      this.#start = this.#scanned = newline + 1;
      if (length > this.maxBytes) return LINE_TOO_LONG;
      const line = this.#decoder.decode(bytes).trim();
      if (line !== "") return line;
    }
  }

  /** Bytes held for lines not yet complete. */
  get pendingBytes(): number {
    return this.#end - this.#start;
  }
}
