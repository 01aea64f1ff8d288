import { describe, expect, it } from 'vitest';
import { classifyVersionChange, kubernetesVersionOf } from '../../src/resources/version-change.js';

describe('Kubernetes version changes', () => {
  it('reads package and tag versions', () => {
    expect(kubernetesVersionOf('1.30.4-1.1')).toEqual([1, 30, 4]);
    expect(kubernetesVersionOf('1.30.4-150500.1.1')).toEqual([1, 30, 4]);
    expect(kubernetesVersionOf('v1.31.1')).toEqual([1, 31, 1]);
    expect(kubernetesVersionOf('1:1.30.4-1.1')).toEqual([1, 30, 4]);
    expect(kubernetesVersionOf('1.30')).toBeUndefined();
    expect(kubernetesVersionOf('1.30.4x')).toBeUndefined();
  });

  it.each([
    ['1.30.4-1.1', '1.30.4', 'same'],
    ['1.30.3-1.1', '1.30.4', 'patch'],
    ['1.29.8-1.1', '1.30.4', 'minor'],
    ['1.29.8-1.1', '1.30.0', 'minor'],
    ['1.30.4-1.1', '1.30.3', 'refused'],
    ['1.31.1-1.1', '1.30.4', 'refused'],
    ['1.28.13-1.1', '1.30.4', 'refused'],
    ['1.30.4-1.1', '2.0.0', 'refused'],
    ['garbage', '1.30.4', 'refused'],
  ])('%s → %s: %s', (from, to, type) => {
    expect(classifyVersionChange(from, to).type).toBe(type);
  });

  it('says why it refuses', () => {
    const skip = classifyVersionChange('1.28.13-1.1', '1.30.4');
    expect(skip.type === 'refused' && skip.reason).toContain('go to 1.29.x first');
    const down = classifyVersionChange('1.30.4-1.1', '1.30.3');
    expect(down.type === 'refused' && down.reason).toContain('downgrade');
  });
});
