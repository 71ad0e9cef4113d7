/**
 * The report's charts: Vega-Lite specs compiled to Vega and rendered to SVG strings in Node
 * (no browser, no canvas, no network). The SVG is inlined in report.html.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { FairFightResults } from './results.js';

export interface Chart {
  id: string;
  title: string;
  caption: string;
  svg: string;
}

/** Fixed colours per model so every chart agrees (Tableau 10). */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const WIDTH = 460;
const HEIGHT = 260;

/** Renders one Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function colour(models: string[]) {
  return { field: 'model', type: 'nominal' as const, title: 'model', scale: { domain: models, range: PALETTE.slice(0, models.length) }, legend: { orient: 'bottom' as const, columns: 3 } };
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: WIDTH, height: HEIGHT, background: 'white', config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 200 } } };

/** The chart specs (exported for tests). */
export function chartSpecs(r: FairFightResults): { id: string; title: string; caption: string; spec: TopLevelSpec }[] {
  const models = [...new Set(r.runs.map((x) => x.model))];
  const color = colour(models);
  const cdf = r.runs.flatMap((x) => {
    const k = x.volatilityQuantiles.length;
    return x.volatilityQuantiles.map((g, i) => ({ model: x.model, seed: x.seed, g, level: k === 1 ? 1 : i / (k - 1) })).filter((p) => p.g > 0);
  });
  const scatter = r.runs.map((x) => ({ model: x.model, seed: x.seed, peak: x.volatility.peak, accuracy: x.testAccuracy }));
  const curve = (pick: 'loss' | 'gradNorm') =>
    r.runs.flatMap((x) => x.curves[pick].map((v, i) => ({ model: x.model, seed: x.seed, step: Math.round((i + 0.5) * x.curves.stepsPerPoint), value: v }))).filter((p) => p.value > 0);
  const fgsm = r.runs.flatMap((x) => [{ model: x.model, seed: x.seed, epsilon: 0, accuracy: x.testAccuracy }, ...x.fgsm.map((f) => ({ model: x.model, seed: x.seed, ...f }))]);
  const lineBySeed = { type: 'line' as const, strokeWidth: 1.5, opacity: 0.85 };
  return [
    {
      id: 'volatility-cdf',
      title: 'Distribution of g(x) = ‖∇x f_y(x)‖ on the test set',
      caption: 'Empirical CDF of the per-image input-gradient norm of the true-class logit, one line per run (model × seed); log scale. Further left is smoother; a long flat top is a heavy tail.',
      spec: {
        ...base,
        data: { values: cdf },
        mark: lineBySeed,
        encoding: {
          x: { field: 'g', type: 'quantitative', title: 'g(x) (log scale)', scale: { type: 'log' } },
          y: { field: 'level', type: 'quantitative', title: 'fraction of test images with g ≤ x', scale: { domain: [0, 1] } },
          color,
          detail: { field: 'seed', type: 'nominal' },
        },
      } as TopLevelSpec,
    },
    {
      id: 'accuracy-vs-peak',
      title: 'Test accuracy against peak volatility, per run',
      caption: 'Each point is one trained model (one seed): x is the peak of g(x) over the test set (log scale), y the test accuracy. Up and to the left is better.',
      spec: {
        ...base,
        data: { values: scatter },
        mark: { type: 'point', filled: true, size: 80, opacity: 0.9 },
        encoding: {
          x: { field: 'peak', type: 'quantitative', title: 'peak g(x) (log scale)', scale: { type: 'log', nice: false, padding: 24 } },
          y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', scale: { zero: false, padding: 16 } },
          color,
          // same field, title and domain as the colour: one legend showing both
          shape: { field: 'model', type: 'nominal', title: 'model', scale: { domain: models } },
        },
      } as TopLevelSpec,
    },
    {
      id: 'training-loss',
      title: 'Training loss (cross-entropy)',
      caption: `Mean cross-entropy of the mini-batches over windows of ${r.runs[0]?.curves.stepsPerPoint ?? 1} steps, one line per run; log scale.`,
      spec: {
        ...base,
        data: { values: curve('loss') },
        mark: lineBySeed,
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'training step' },
          y: { field: 'value', type: 'quantitative', title: 'cross-entropy (log scale)', scale: { type: 'log' } },
          color,
          detail: { field: 'seed', type: 'nominal' },
        },
      } as TopLevelSpec,
    },
    {
      id: 'training-gradient',
      title: 'Training gradient norm ‖∇θ L‖',
      caption: 'Global norm of the loss gradient over all weights (with the DREG term for chainzrule), averaged over the same windows; log scale. Its std and peak over training are in the robustness table.',
      spec: {
        ...base,
        data: { values: curve('gradNorm') },
        mark: lineBySeed,
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'training step' },
          y: { field: 'value', type: 'quantitative', title: '‖∇θ L‖ (log scale)', scale: { type: 'log' } },
          color,
          detail: { field: 'seed', type: 'nominal' },
        },
      } as TopLevelSpec,
    },
    {
      id: 'fgsm',
      title: 'Accuracy under FGSM',
      caption: 'Accuracy under the fast gradient sign attack against its size ε (L∞, pixels in [0, 1]); ε = 0 is the clean accuracy. Lines join the means over seeds; points are the runs.',
      spec: {
        ...base,
        data: { values: fgsm },
        layer: [
          { mark: { type: 'line', strokeWidth: 2 }, encoding: { x: { field: 'epsilon', type: 'quantitative', title: 'ε' }, y: { aggregate: 'mean', field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } }, color } },
          { mark: { type: 'point', filled: true, size: 30, opacity: 0.7 }, encoding: { x: { field: 'epsilon', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative' }, color } },
        ],
      } as TopLevelSpec,
    },
  ];
}

/** Every chart of the report as SVG. */
export async function renderCharts(r: FairFightResults): Promise<Chart[]> {
  const out: Chart[] = [];
  for (const c of chartSpecs(r)) out.push({ id: c.id, title: c.title, caption: c.caption, svg: await renderSvg(c.spec) });
  return out;
}
