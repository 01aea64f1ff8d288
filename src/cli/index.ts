export { fileFlag, outputFlag, outputFlagWith, specFlags, OUTPUT_FORMATS, type OutputFormat } from './flags.js';
export { loadSpecOrExit, printDiagnostics, countSummary } from './spec.js';
