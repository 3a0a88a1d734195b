import assert from "node:assert/strict";
import { denoise, roundedJson } from "@/pipeline/json_text.ts";

Deno.test("denoise() removes binary noise and keeps every digit a person wrote", () => {
  assert.equal(denoise(-1007.3100000000002), -1007.31);
  assert.equal(denoise(0.1 + 0.2), 0.3); // 0.30000000000000004
  assert.equal(denoise(1826.837), 1826.837);
  assert.equal(denoise(1_514_764_800_000_001), 1_514_764_800_000_001, "integers untouched");
  assert.equal(denoise(1e-9), 1e-9);
});

Deno.test("roundedJson() writes indented JSON with denoised numbers and a final newline", () => {
  assert.equal(
    roundedJson({ pnl: -1007.3100000000002, trades: [0.1 + 0.2] }),
    '{\n  "pnl": -1007.31,\n  "trades": [\n    0.3\n  ]\n}\n',
  );
});
