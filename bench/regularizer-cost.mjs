// What a regularizer costs per training step: ChainzRule 784-32-10 on real MNIST batches of 128,
// without a regularizer, with DREG (jacobian-frobenius) and with double back-propagation
// (input-gradient). Interleaved repetitions, medians. Usage: pnpm build && node bench/regularizer-cost.mjs
import { writeFileSync } from 'node:fs';
import { loadMnist } from '../packages/datasets/dist/index.js';
import { getRegularizer } from '../packages/dreg/dist/index.js';
import { buildModel, selectBackend, train } from '../packages/trainer/dist/index.js';

const backend = await selectBackend({ requested: process.env.CHAINZRULE_BACKEND ?? 'wasm' });
const steps = 80;
const mnist = await loadMnist({ split: 'train', limit: 128 * steps });
const data = { x: mnist.images, labels: mnist.labels, n: mnist.n, dim: 784, numClasses: 10 };
const configs = { none: [], 'jacobian-frobenius': ['jacobian-frobenius'], 'input-gradient': ['input-gradient'] };
const times = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
const reps = 7;
for (let r = -1; r < reps; r++)
  for (const [name, regs] of Object.entries(configs)) {
    const model = buildModel('chainzrule', { inputSize: 784, numClasses: 10, seed: 0 });
    const res = await train(model, data, {
      epochs: 1, batchSize: 128, learningRate: 0.002, seed: 0,
      regularizers: regs.map((n) => ({ regularizer: getRegularizer(n), weight: 0.001 })),
    });
    model.dispose();
    if (r >= 0) times[name].push((1000 * res.seconds) / steps); // r = -1 is the warm-up
  }
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const rows = Object.entries(times).map(([name, t]) => ({ regularizer: name, msPerStep: median(t), min: Math.min(...t), max: Math.max(...t), ratioVsNone: median(t) / median(times.none) }));
console.table(rows.map((r) => ({ ...r, msPerStep: r.msPerStep.toFixed(2), min: r.min.toFixed(2), max: r.max.toFixed(2), ratioVsNone: r.ratioVsNone.toFixed(3) })));
writeFileSync(new URL('./regularizer-cost.json', import.meta.url), `${JSON.stringify({ backend: backend.name, batchSize: 128, steps, reps, rows }, null, 2)}\n`);
