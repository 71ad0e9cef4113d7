import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { getRegularizer, listRegularizers, type LayerTrace } from '@chainzrule/dreg';
import { checkRegularizer } from '@chainzrule/dreg/testing';
import { JacobianBudget } from '../examples/jacobian-budget.js';

const here = dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the "Writing a regularizer" worked example', () => {
  it('registers by name and passes the conformance kit', () => {
    expect(listRegularizers()).toContain('jacobian-budget');
    expect(getRegularizer('jacobian-budget', { budget: 3 })).toBeInstanceOf(JacobianBudget);
    expect(checkRegularizer(new JacobianBudget())).toEqual([]);
  });

  it('computes the hand-checked value', () => {
    // ||J||_F^2 per sample = a'(z_0)^2 * 10 + a'(z_1)^2 * 20: sample 1 -> 90 (norm 9.4868), sample 2 -> 0
    const layer: LayerTrace = {
      name: 'h', input: tf.zeros([2, 2]), z: tf.zeros([2, 2]), d2p: null,
      kernel: tf.tensor2d([[1, 2], [3, 4]]), dp: tf.tensor2d([[1, 2], [0, 0]]),
    };
    const value = new JacobianBudget({ budget: 5 }).apply([layer]).dataSync()[0]!;
    expect(value).toBeCloseTo(((Math.sqrt(90) - 5) ** 2 + 0) / 2, 4);
  });

  it('is the code the docs page shows, character for character', () => {
    const guide = readFileSync(join(here, '../../../apps/docs/guides/writing-a-regularizer.md'), 'utf8');
    const code = readFileSync(join(here, '../examples/jacobian-budget.ts'), 'utf8');
    expect(guide).toContain(code.trim());
  });
});
