/** Meta-labeling at serving time: the primary a meta model gates, and the gate stage. */

export { gateSignal, gateSignals, type GateSignalsOptions, type MetaServingModel } from "./gate.ts";
export { primaryConfigHash, primaryDifferences, primaryFusion } from "./primary.ts";
