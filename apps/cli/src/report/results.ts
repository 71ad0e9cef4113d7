import type { FairFightConfig, FairFightSummary, RunResult } from '@chainzrule/trainer';

/** The content of `OUT/results.json` written by `chainzrule fair-fight` (image datasets). */
export interface FairFightResults {
  dataset: string;
  backend: string;
  config: FairFightConfig & { trainSamples: number; testSamples: number; dataSource: string; tfjsVersion: string };
  runs: RunResult[];
  summary: FairFightSummary;
  /** wall-clock seconds of the whole command (training and measuring all runs) */
  wallSeconds?: number;
}
