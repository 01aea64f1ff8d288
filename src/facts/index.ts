export * from './types.js';
export { defaultFactRequest, HACTL_FILES, KUBERNETES_SYSCTLS } from './default-request.js';
export { mergeRequests, validateRequest, unitName, FactRequestError } from './request.js';
export { probeScript, probeObservation, MAX_CONTENT_BYTES } from './probe.js';
export { parseProbeOutput, ProbeParseError } from './parse.js';
export { gatherFacts, gatherHostFacts, type FactsResult } from './gather.js';
export { renderFactsSummary } from './summary.js';
