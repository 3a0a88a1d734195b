import { checkedTradingConfigSchema, tradingConfigFileSchema } from "./pipeline/commands/strategy.ts";
import { describeZodError } from "./pipeline/issues.ts";
for (const c of [{foo:1},{risk:{riskPercnt:1}},{execution:{slipagePoints:1}},{fusion:{gate:2}},{monteCarlo:{runs:1}},[1],{risk:{riskPercent:"x"}}, {execution:{latencyMs:-1, spread:{fixed:1000}}}, {fusion:{gate:0.5, llm: {enabled: true}}}, {risk: {dailyLoss: 5}}]) {
  const r = checkedTradingConfigSchema.safeParse(c);
  console.log(JSON.stringify(c), "=>", r.success ? "ok" : describeZodError(r.error, `"c.json"`, tradingConfigFileSchema));
}
