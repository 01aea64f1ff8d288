import { Command, Flags } from '@oclif/core';
import { fileFlag } from '../cli/flags.js';
import { loadSpecOrExit } from '../cli/spec.js';
import { compile } from '../resources/index.js';
import { GRAPH_FORMATS, MERMAID_MAX_EDGES, render } from '../graph/render.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

export default class GraphCommand extends Command {
  static override summary = 'Print the resource graph a cluster spec compiles to';
  static override description =
    'Every resource hactl manages (e.g. containerd@cp1, kubeadm-init@cp1, join-worker@worker2) and what it waits for. ' +
    'mermaid renders on GitHub; dot is Graphviz (`| dot -Tsvg`); text lists the stages that can run in parallel.' +
    exitCodes({ 0: 'the graph was printed', 1: `an invalid spec, or ${USAGE_ERROR}` });
  static override examples = [
    '<%= config.bin %> graph -f cluster.yaml',
    '<%= config.bin %> graph -f cluster.yaml -o text',
    '<%= config.bin %> graph -f cluster.yaml -o dot | dot -Tsvg > graph.svg',
  ];
  static override flags = {
    file: fileFlag,
    // -o as every command; --format is what earlier versions took.
    output: Flags.option({ char: 'o', options: GRAPH_FORMATS, default: 'mermaid', aliases: ['format'], description: 'output format (--format is the same)' })(),
    'group-by-host': Flags.boolean({ default: false, description: 'draw each host as a box around its resources (mermaid, dot)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GraphCommand);
    const spec = await loadSpecOrExit(this, flags.file);
    const graph = compile(spec);
    if (flags.output === 'mermaid' && graph.edgeCount() > MERMAID_MAX_EDGES) {
      this.logToStderr(`warning: ${graph.edgeCount()} dependencies: mermaid renders at most ${MERMAID_MAX_EDGES} by default (GitHub too); use -o dot or text`);
    }
    const out = render(graph, flags.output, { groupByHost: flags['group-by-host'] });
    // log adds the final newline back.
    this.log(out.replace(/\n$/, ''));
  }
}
