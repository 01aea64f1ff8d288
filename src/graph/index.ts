// Public API of the compiler: a ClusterSpec in, a validated resource DAG out, and its renderings.

export * from './types.js';
export { CONTROL_PLANE_GROUP, compileGraph, dependenciesOf, dependentsOf, topologicalLayers, topologicalOrder, validateGraph } from './compile.js';
export { compareIds, sortIds } from './order.js';
export { GRAPH_FORMATS, MERMAID_MAX_EDGES, render, renderDot, renderMermaid, renderText, type GraphFormat, type RenderOptions } from './render.js';
