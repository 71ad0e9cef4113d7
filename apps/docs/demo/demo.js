/**
 * The volatility demo: two MNIST models run in the browser with TensorFlow.js.
 *
 * The modules below are the real packages, served from this site (see the import map in
 * index.html): tfjs core, layers (which also registers the gradients `tf.grad` needs) and the cpu
 * backend, `@chainzrule/polynomial` (registers the PolynomialEngine layer so the ChainzRule model
 * deserialises) and `@chainzrule/metrics` (the same g(x) code that measured the test set).
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@chainzrule/polynomial';
import { inputGradientNorms } from '@chainzrule/metrics';

const KINDS = ['chainzrule', 'baseline-relu'];
const SIDE = 28;
/** MNIST digits fit a 20 x 20 box inside the 28 x 28 image. */
const BOX = 20;
const STROKE = 18;

const $ = (selector, root = document) => root.querySelector(selector);
const svgNs = 'http://www.w3.org/2000/svg';
const fmt = (x, digits = 3) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(digits));
const percent = (x, digits = 1) => `${(100 * x).toFixed(digits)}%`;
const thousands = (n) => n.toLocaleString('en-US');

function svg(tag, attributes = {}, text) {
  const el = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// ---------------------------------------------------------------------------------------------
// From the drawing to a 28 x 28 MNIST-style input
// ---------------------------------------------------------------------------------------------

/**
 * MNIST's own normalisation: the ink's bounding box is scaled to fit 20 x 20 pixels (keeping the
 * aspect ratio, with anti-aliasing), then the image is shifted so that its centre of mass is at
 * the centre of the 28 x 28 field. Returns 784 values in [0, 1], or null for an empty drawing.
 */
export function preprocess(pad, target) {
  const { data, width, height } = pad.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, pad.width, pad.height);
  let [minX, minY, maxX, maxY] = [width, height, -1, -1];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (data[(y * width + x) * 4] > 0) {
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
  if (maxX < 0) return null;
  const [w, h] = [maxX - minX + 1, maxY - minY + 1];
  const scale = BOX / Math.max(w, h);
  const ctx = target.getContext('2d', { willReadFrequently: true });
  const render = (dx, dy) => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, SIDE, SIDE);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(pad, minX, minY, w, h, dx, dy, w * scale, h * scale);
    const rgba = ctx.getImageData(0, 0, SIDE, SIDE).data;
    return Float32Array.from({ length: SIDE * SIDE }, (_, i) => rgba[i * 4] / 255);
  };
  const [x0, y0] = [(SIDE - w * scale) / 2, (SIDE - h * scale) / 2];
  const first = render(x0, y0);
  // Centre of mass, with pixel i covering [i, i + 1): the field's centre is 14.
  let [mass, cx, cy] = [0, 0, 0];
  first.forEach((v, i) => {
    mass += v;
    cx += v * ((i % SIDE) + 0.5);
    cy += v * (Math.floor(i / SIDE) + 0.5);
  });
  if (mass === 0) return first;
  return render(x0 + SIDE / 2 - cx / mass, y0 + SIDE / 2 - cy / mass);
}

// ---------------------------------------------------------------------------------------------
// The models
// ---------------------------------------------------------------------------------------------

/** Logits, probabilities, predicted class, input gradient and g(x) of one model at one image. */
function analyseWith(model, pixels) {
  const logitsOf = (x) => model.apply(x);
  const x = tf.tensor2d(pixels, [1, SIDE * SIDE]);
  try {
    const [logits, probs] = tf.tidy(() => {
      const l = logitsOf(x);
      return [l.dataSync().slice(), tf.softmax(l).dataSync().slice()];
    });
    let predicted = 0;
    for (let k = 1; k < logits.length; k++) if (logits[k] > logits[predicted]) predicted = k;
    // d f_c / d x for the predicted class c: the heatmap.
    const gradient = tf.tidy(() => {
      const onehot = tf.oneHot(tf.tensor1d([predicted], 'int32'), logits.length);
      return tf.grad((input) => tf.sum(tf.mul(logitsOf(input), onehot)))(x).dataSync().slice();
    });
    // g(x) = ||d f_c / d x||_2 by the same function that measured the test set.
    const g = inputGradientNorms(logitsOf, x, [predicted])[0];
    return { logits: Array.from(logits), probs: Array.from(probs), predicted, gradient, g };
  } finally {
    x.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

function renderProbabilities(el, probs, predicted) {
  el.replaceChildren();
  const [barW, gap, top, h] = [24, 6, 4, 46];
  probs.forEach((p, k) => {
    const x = k * (barW + gap) + 3;
    const bh = Math.max(1, p * h);
    el.append(svg('rect', { x, y: top + h - bh, width: barW, height: bh, class: k === predicted ? 'bar predicted' : 'bar' }));
    el.append(svg('text', { x: x + barW / 2, y: top + h + 15, 'text-anchor': 'middle', class: 'tick' }, String(k)));
  });
}

/** Diverging colours over a faint copy of the input: red raises the logit, blue lowers it. */
function renderHeatmap(canvas, gradient, pixels, scale) {
  const small = document.createElement('canvas');
  small.width = small.height = SIDE;
  const sctx = small.getContext('2d');
  const image = sctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const base = 255 - 100 * pixels[i];
    const v = scale > 0 ? Math.max(-1, Math.min(1, gradient[i] / scale)) : 0;
    const a = Math.abs(v);
    const [r, g, b] = v >= 0 ? [200, 30, 40] : [30, 80, 210];
    image.data.set([base + (r - base) * a, base + (g - base) * a, base + (b - base) * a, 255], i * 4);
  }
  sctx.putImageData(image, 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  canvas.dataset.scale = String(scale);
}

function niceTicks(max) {
  const step = [1, 2, 5, 10, 20, 50].find((s) => max / s <= 6) ?? Math.ceil(max / 5);
  return Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step);
}

/** The model's test-set histogram of g(x) on the shared axis [0, axisMax], with `g` marked. */
function renderDistribution(el, model, histogram, axisMax, g) {
  el.replaceChildren();
  const [left, right, top, bottom] = [8, 312, 16, 92];
  const xOf = (v) => left + ((right - left) * v) / axisMax;
  const binWidth = (histogram.max - histogram.min) / histogram.bins;
  const tallest = Math.max(...model.histogram);
  model.histogram.forEach((count, i) => {
    if (count === 0) return;
    const x0 = xOf(histogram.min + i * binWidth);
    const x1 = xOf(histogram.min + (i + 1) * binWidth);
    const h = ((bottom - top) * count) / tallest;
    el.append(svg('rect', { x: x0, y: bottom - h, width: Math.max(0.5, x1 - x0 - 0.3), height: h, class: 'hist' }));
  });
  el.append(svg('line', { x1: left, x2: right, y1: bottom, y2: bottom, class: 'axis' }));
  for (const t of niceTicks(axisMax)) {
    el.append(svg('line', { x1: xOf(t), x2: xOf(t), y1: bottom, y2: bottom + 4, class: 'axis' }));
    el.append(svg('text', { x: xOf(t), y: bottom + 16, 'text-anchor': 'middle', class: 'tick' }, String(t)));
  }
  const peak = model.volatility.peak;
  el.append(svg('line', { x1: xOf(peak), x2: xOf(peak), y1: top + 8, y2: bottom, class: 'peak' }));
  el.append(svg('text', { x: xOf(peak), y: top + 4, 'text-anchor': 'middle', class: 'tick' }, 'test peak'));
  if (g !== null) {
    const x = xOf(g);
    el.append(svg('line', { x1: x, x2: x, y1: top - 4, y2: bottom, class: 'marker', 'data-g': g }));
    el.append(svg('circle', { cx: x, cy: top - 4, r: 4, class: 'marker-dot' }));
    el.append(svg('text', { x: Math.min(right - 30, Math.max(left + 30, x)), y: 125, 'text-anchor': 'middle', class: 'marker-label' }, `g(x) = ${fmt(g)}`));
  }
}

/** Share of the test set with g below `g`, from its percentiles q0..q100 (linear in between). */
function percentileRank(percentiles, g) {
  if (g <= percentiles[0]) return 0;
  if (g >= percentiles[100]) return 1;
  let k = 0;
  while (percentiles[k + 1] < g) k++;
  const span = percentiles[k + 1] - percentiles[k];
  return (k + (span > 0 ? (g - percentiles[k]) / span : 0)) / 100;
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}; run pnpm docs:build to create the demo models`);
  return response.json();
}

async function start() {
  const status = $('#status');
  await tf.setBackend('cpu');
  await tf.ready();
  const summary = await fetchJson('models/summary.json');
  const models = {};
  for (const kind of KINDS) models[kind] = await loadLayersModel(`models/${kind}/model.json`);

  const cards = Object.fromEntries(KINDS.map((kind) => [kind, $(`article[data-model="${kind}"]`)]));
  const axisFloor = summary.histogram.max * 1.04;
  for (const kind of KINDS) {
    const info = summary.models[kind];
    $('[data-role="title"]', cards[kind]).textContent = info.title;
    $('[data-role="architecture"]', cards[kind]).textContent =
      `${info.architecture}; ${thousands(info.params)} parameters; ${percent(info.testAccuracy, 2)} on the ${thousands(summary.config.testSamples)} test images`;
    renderDistribution($('[data-role="distribution"]', cards[kind]), info, summary.histogram, axisFloor, null);
  }
  const cr = summary.models.chainzrule;
  const base = summary.models['baseline-relu'];
  $('[data-role="param-ratio"]').textContent = `${(base.params / cr.params).toFixed(1)} times`;
  const c = summary.config;
  $('#provenance').textContent =
    `Provenance: both models were trained by the docs build (apps/docs/scripts/train-demo-models.mjs) on the ${thousands(c.trainSamples)} MNIST ` +
    `training images in the same order: ${c.epochs} epochs, Adam learning rate ${c.learningRate}, batch ${c.batchSize}, seed ${c.seed}, ` +
    `${c.regularizer} with lambda = ${c.lambda} on ChainzRule, ${summary.backend} backend. Weights: ChainzRule ${thousands(cr.weightBytes)} bytes, ` +
    `baseline ${thousands(base.weightBytes)} bytes. That is fewer epochs than the Fair Fight, whose measured results are in the README.`;

  const pad = $('#pad');
  const padCtx = pad.getContext('2d', { willReadFrequently: true });
  const modelInput = $('#model-input');
  const clearPad = () => {
    padCtx.fillStyle = '#000';
    padCtx.fillRect(0, 0, pad.width, pad.height);
  };
  clearPad();

  let last = null;
  let current = null;
  const show = () => {
    const pixels = current?.pixels;
    const shared = $('#shared-scale').checked;
    const results = current?.results;
    const maxAbs = (gradient) => gradient.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const sharedScale = results ? Math.max(...KINDS.map((k) => maxAbs(results[k].gradient))) : 0;
    const axisMax = results ? Math.max(axisFloor, ...KINDS.map((k) => results[k].g * 1.08)) : axisFloor;
    for (const kind of KINDS) {
      const card = cards[kind];
      const info = summary.models[kind];
      const r = results?.[kind];
      $('[data-role="prediction"]', card).textContent = r ? String(r.predicted) : '\u2013';
      $('[data-role="confidence"]', card).textContent = r ? `${percent(r.probs[r.predicted])} sure` : '';
      renderProbabilities($('[data-role="probs"]', card), r ? r.probs : new Array(10).fill(0), r ? r.predicted : -1);
      const heatmap = $('[data-role="heatmap"]', card);
      if (r) {
        const scale = shared ? sharedScale : maxAbs(r.gradient);
        renderHeatmap(heatmap, r.gradient, pixels, scale);
        $('[data-role="heatmap-scale"]', card).textContent = shared
          ? `colour scale \u00b1${fmt(scale)}, shared; this model's largest |\u2202f/\u2202x\u1d62| is ${fmt(maxAbs(r.gradient))}`
          : `colour scale \u00b1${fmt(scale)}: this model's largest |\u2202f/\u2202x\u1d62|`;
      } else {
        heatmap.getContext('2d').clearRect(0, 0, heatmap.width, heatmap.height);
        delete heatmap.dataset.scale;
        $('[data-role="heatmap-scale"]', card).textContent = '';
      }
      renderDistribution($('[data-role="distribution"]', card), info, summary.histogram, axisMax, r ? r.g : null);
      if (r) {
        const rank = percentileRank(info.percentiles, r.g);
        const where = rank >= 1 ? 'above every test image' : rank <= 0 ? 'below every test image' : `above ${percent(rank, 0)} of the test images`;
        $('[data-role="g-text"]', card).textContent =
          `g(x) = ${fmt(r.g)}: ${where} (test set: mean ${fmt(info.volatility.mean)}, p99 ${fmt(info.volatility.p99)}, peak ${fmt(info.volatility.peak)})`;
        Object.assign(card.dataset, { prediction: String(r.predicted), g: String(r.g), percentile: String(rank) });
      } else {
        $('[data-role="g-text"]', card).textContent = `Test set: mean ${fmt(info.volatility.mean)}, p99 ${fmt(info.volatility.p99)}, peak ${fmt(info.volatility.peak)}. Draw a digit to place yours.`;
        for (const key of ['prediction', 'g', 'percentile']) delete card.dataset[key];
      }
    }
  };

  /** Re-reads the pad and updates every panel; returns the results (also for tests). */
  const update = () => {
    const pixels = preprocess(pad, modelInput);
    if (!pixels) {
      modelInput.getContext('2d').clearRect(0, 0, SIDE, SIDE);
      current = null;
    } else {
      current = { pixels, results: Object.fromEntries(KINDS.map((k) => [k, analyseWith(models[k], pixels)])) };
    }
    show();
    document.body.dataset.updates = String(Number(document.body.dataset.updates ?? 0) + 1);
    return current;
  };
  let frame = 0;
  const schedule = () => {
    if (!frame)
      frame = requestAnimationFrame(() => {
        frame = 0;
        update();
      });
  };

  const point = (event) => {
    const rect = pad.getBoundingClientRect();
    return [((event.clientX - rect.left) * pad.width) / rect.width, ((event.clientY - rect.top) * pad.height) / rect.height];
  };
  const stroke = (from, to) => {
    padCtx.strokeStyle = '#fff';
    padCtx.lineWidth = STROKE;
    padCtx.lineCap = 'round';
    padCtx.lineJoin = 'round';
    padCtx.beginPath();
    padCtx.moveTo(...from);
    padCtx.lineTo(...to);
    padCtx.stroke();
  };
  pad.addEventListener('pointerdown', (event) => {
    pad.setPointerCapture(event.pointerId);
    last = point(event);
    stroke(last, last);
    $('#sample-label').textContent = '';
    schedule();
  });
  pad.addEventListener('pointermove', (event) => {
    if (!last) return;
    const next = point(event);
    stroke(last, next);
    last = next;
    schedule();
  });
  for (const type of ['pointerup', 'pointercancel'])
    pad.addEventListener(type, () => {
      last = null;
      schedule();
    });
  $('#clear').addEventListener('click', () => {
    clearPad();
    $('#sample-label').textContent = '';
    update();
  });
  $('#shared-scale').addEventListener('change', show);

  /** Draws a 28 x 28 image (values 0..1) onto the pad, each pixel a square block. */
  const drawDigit = (pixels) => {
    const block = pad.width / SIDE;
    clearPad();
    for (let i = 0; i < SIDE * SIDE; i++) {
      const v = Math.round(255 * pixels[i]);
      if (v === 0) continue;
      padCtx.fillStyle = `rgb(${v},${v},${v})`;
      padCtx.fillRect((i % SIDE) * block, Math.floor(i / SIDE) * block, block, block);
    }
  };

  const digits = await fetchJson('models/test-digits.json');
  const digitBytes = Uint8Array.from(atob(digits.pixels), (ch) => ch.charCodeAt(0));
  const sample = $('#sample');
  sample.disabled = false;
  sample.addEventListener('click', () => {
    const k = Math.floor(Math.random() * digits.labels.length);
    drawDigit(Array.from(digitBytes.subarray(k * SIDE * SIDE, (k + 1) * SIDE * SIDE), (b) => b / 255));
    $('#sample-label').textContent = `MNIST test image ${digits.indices[k]}, labelled ${digits.labels[k]}`;
    update();
  });

  show();
  // A small API for the browser tests (and the curious, from the console).
  window.chainzruleDemo = {
    summary,
    /** Draws a 28 x 28 image (784 values in 0..1) onto the pad and runs both models on it. */
    drawAndAnalyse: (pixels) => {
      drawDigit(pixels);
      return update();
    },
    /** Both models on a 784-value input, without the drawing pad: logits, predicted class and g(x). */
    analyse: (pixels) =>
      Object.fromEntries(
        KINDS.map((k) => {
          const { logits, predicted, g } = analyseWith(models[k], Float32Array.from(pixels));
          return [k, { logits, predicted, g }];
        }),
      ),
    numTensors: () => tf.memory().numTensors,
  };
  status.textContent = `Ready: draw a digit in the black square (backend: ${tf.getBackend()}, TensorFlow.js ${tf.version_core}).`;
  document.body.dataset.state = 'ready';
}

start().catch((error) => {
  document.body.dataset.state = 'error';
  $('#status').textContent = `The demo could not start: ${error instanceof Error ? error.message : String(error)}`;
  console.error(error);
});
