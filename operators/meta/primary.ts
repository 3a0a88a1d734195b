/**
 * The primary a meta-labeling model gates: the fusion stage with the technical scorer as
 * its only source. Its candidate trades are the bars where that fused signal is buy or
 * sell; their stop and target are whatever fusion computes. A meta model is trained on
 * one primary's candidates and names it by `primaryConfigHash`, so serving it behind any
 * other primary (another gate, other levels, other technical weights) is refused.
 * This module describes the primary; it must never run it.
 */

import { createHash } from "node:crypto";
import { canonicalJson } from "../../pipeline/canonical_json.ts";
import type { FusionConfig } from "../fusion/mod.ts";

/**
 * The technical-only form of `fusion`: the technical scorer weighs 1, the model and the
 * LLM 0 (with the LLM off); gate, technical settings, regime factors and levels are kept.
 * Throws when the technical source is off, since then there is no primary to gate.
 *
 * @example
 * ```ts
 * const primary = primaryFusion(TECHNICAL_ONLY, "preset technical-only");
 * primary.weights; // { technical: 1, ml: 0, llm: 0 }
 * ```
 */
export function primaryFusion(fusion: FusionConfig, origin: string): FusionConfig {
  if (!(fusion.weights.technical > 0)) {
    throw new RangeError(
      `Cannot use a meta-labeling model with the fusion config ${origin}: its weights.technical ` +
        `is ${fusion.weights.technical}, so the technical scorer (the primary the model gates) ` +
        `never votes; give weights.technical a positive weight`,
    );
  }
  return {
    ...fusion,
    weights: { technical: 1, ml: 0, llm: 0 },
    llm: { ...fusion.llm, enabled: false },
  };
}

/**
 * SHA-256 of what decides the primary's candidates and their levels: the gate, the
 * technical scorer's settings, the regime factors and the levels (weights do not enter:
 * alone, the technical vote always weighs 1).
 */
export function primaryConfigHash(fusion: FusionConfig): string {
  const { gate, technical, regime, levels } = fusion;
  return createHash("sha256").update(canonicalJson({ gate, technical, regime, levels })).digest(
    "hex",
  );
}

/**
 * Where the primary of `fusion` differs from one stored on a card (`meta.primary.fusion`),
 * as `section.field: stored -> running` lines; empty when they agree.
 */
export function primaryDifferences(
  fusion: FusionConfig,
  stored: Readonly<Record<string, unknown>>,
): string[] {
  const running: Record<string, unknown> = fusion;
  const lines: string[] = [];
  for (const section of ["gate", "technical", "regime", "levels"]) {
    const a = stored[section];
    const b = running[section];
    if (canonicalJson(a) === canonicalJson(b)) continue;
    if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
      lines.push(`${section}: ${canonicalJson(a)} -> ${canonicalJson(b)}`);
      continue;
    }
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of [...keys].sort()) {
      const was = (a as Record<string, unknown>)[key];
      const now = (b as Record<string, unknown>)[key];
      if (canonicalJson(was) !== canonicalJson(now)) {
        lines.push(`${section}.${key}: ${canonicalJson(was)} -> ${canonicalJson(now)}`);
      }
    }
  }
  return lines;
}
