import { describe, expect, it } from 'vitest';
import { classifyVersionChange, kubernetesVersionOf } from '../../src/resources/version-change.js';

describe('Kubernetes version changes', () => {
  it('reads package and tag versions', () => {
    expect(kubernetesVersionOf('1.35.4-1.1')).toEqual([1, 35, 4]);
    expect(kubernetesVersionOf('1.35.4-150500.1.1')).toEqual([1, 35, 4]);
    expect(kubernetesVersionOf('v1.36.1')).toEqual([1, 36, 1]);
    expect(kubernetesVersionOf('1:1.35.4-1.1')).toEqual([1, 35, 4]);
    expect(kubernetesVersionOf('1.35')).toBeUndefined();
    expect(kubernetesVersionOf('1.35.4x')).toBeUndefined();
  });

  it.each([
    ['1.35.4-1.1', '1.35.4', 'same'],
    ['1.35.3-1.1', '1.35.4', 'patch'],
    ['1.34.8-1.1', '1.35.4', 'minor'],
    ['1.34.8-1.1', '1.35.0', 'minor'],
    ['1.35.4-1.1', '1.35.3', 'refused'],
    ['1.36.1-1.1', '1.35.4', 'refused'],
    ['1.33.13-1.1', '1.35.4', 'refused'],
    ['1.35.4-1.1', '2.0.0', 'refused'],
    ['garbage', '1.35.4', 'refused'],
  ])('%s → %s: %s', (from, to, type) => {
    expect(classifyVersionChange(from, to).type).toBe(type);
  });

  it('says why it refuses', () => {
    const skip = classifyVersionChange('1.33.13-1.1', '1.35.4');
    expect(skip.type === 'refused' && skip.reason).toContain('go to 1.34.x first');
    const down = classifyVersionChange('1.35.4-1.1', '1.35.3');
    expect(down.type === 'refused' && down.reason).toContain('downgrade');
  });
});
