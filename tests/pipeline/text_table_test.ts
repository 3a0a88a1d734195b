import assert from "node:assert/strict";
import { fixed, money, textTable } from "@/pipeline/text_table.ts";

Deno.test("textTable() pads columns, right-aligns numbers and left-aligns text", () => {
  assert.equal(
    textTable(["reason", "trades", "net"], [
      ["stop_loss", "3", "-1,885.23"],
      ["take_profit", "12", "1,198.12"],
    ]),
    [
      "reason       trades        net",
      "-----------  ------  ---------",
      "stop_loss         3  -1,885.23",
      "take_profit      12   1,198.12",
    ].join("\n"),
  );
});

Deno.test("money() writes cents with thousands separators and never -0.00", () => {
  assert.equal(money(-1007.3100000000002), "-1,007.31");
  assert.equal(money(1234567.016), "1,234,567.02");
  assert.equal(money(-0.001), "0.00");
  assert.equal(money(null), "n/a");
  assert.equal(fixed(-0.0001), "0.00");
  assert.equal(fixed(1.2345, 3), "1.234");
});
