// Node selection rules shared by the scheduler and the DaemonSet controller.
export function tolerates(pod, taint) {
  return (pod.spec.tolerations || []).some(
    (t) =>
      (!t.effect || t.effect === taint.effect) &&
      (t.operator === 'Exists' ? !t.key || t.key === taint.key : t.key === taint.key && (t.value || '') === (taint.value || '')),
  );
}
export function feasible(pod, node) {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  if (!ready || node.spec?.unschedulable) return false;
  if ((node.spec?.taints || []).some((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(pod, t))) return false;
  const labels = node.metadata.labels || {};
  return Object.entries(pod.spec.nodeSelector || {}).every(([k, v]) => labels[k] === v);
}
