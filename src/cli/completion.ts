// Shell completion scripts, generated from the commands' own flag definitions: command words,
// topics (`etcd snapshot`), each command's flags, the values of flags that take a fixed set, and
// file names for the rest. One bash script; zsh runs it through bashcompinit.

export interface CompletionFlag {
  /** Long name without dashes. */
  name: string;
  char?: string;
  /** Takes a value (an option flag); its values when they are a fixed set. */
  takesValue: boolean;
  options?: readonly string[];
  /** A boolean that also accepts `--no-<name>`. */
  allowNo?: boolean;
}

export interface CompletionCommand {
  /** As typed: `plan`, `etcd snapshot`. */
  words: string;
  flags: CompletionFlag[];
}

interface FlagDefinition {
  type?: string;
  char?: string;
  options?: readonly string[];
  /** The values a flag that parses its own input (`-o`, with aliases) offers for completion. */
  completionValues?: readonly string[];
  allowNo?: boolean;
}

/** The completion view of an oclif command's `static flags`, plus the help flags every command has. */
export function completionFlags(flags: Readonly<Record<string, FlagDefinition>>): CompletionFlag[] {
  const list: CompletionFlag[] = Object.entries(flags).map(([name, f]) => ({
    name,
    ...(f.char !== undefined ? { char: f.char } : {}),
    takesValue: f.type === 'option',
    ...((f.options ?? f.completionValues) !== undefined ? { options: (f.options ?? f.completionValues)! } : {}),
    ...(f.allowNo ? { allowNo: true } : {}),
  }));
  list.push({ name: 'help', char: 'h', takesValue: false });
  return list.sort((a, b) => a.name.localeCompare(b.name));
}

// Words in a generated script come from our own definitions; checked anyway, since they become shell text.
const WORD = /^-{0,2}[A-Za-z0-9][A-Za-z0-9._:-]*$/;
function word(w: string): string {
  if (!WORD.test(w)) throw new Error(`not a plain word for a completion script: ${JSON.stringify(w)}`);
  return w;
}
const words = (list: readonly string[]) => list.map(word).join(' ');

/** A bash completion function `_<bin>` registered for `bin`. */
export function bashCompletion(bin: string, commands: readonly CompletionCommand[]): string {
  const fn = `_${word(bin).replace(/[^A-Za-z0-9_]/g, '_')}`;
  const firstWords = [...new Set(commands.map((c) => c.words.split(' ')[0]!))].sort();
  const topics = new Map<string, string[]>();
  for (const c of commands) {
    const parts = c.words.split(' ');
    if (parts.length > 1) topics.set(parts[0]!, [...(topics.get(parts[0]!) ?? []), parts.slice(1).join(' ')]);
  }
  const lines: string[] = [];
  lines.push(`# ${bin} completion for bash. Load it in this shell:  source <(${bin} completion bash)`);
  lines.push(`# or for every shell:  ${bin} completion bash > ~/.local/share/bash-completion/completions/${bin}`);
  lines.push(`${fn}() {`);
  lines.push('  # zsh (bashcompinit) runs this too: arrays counted from 0, as in bash.');
  lines.push('  [ -n "${ZSH_VERSION-}" ] && setopt localoptions ksharrays');
  lines.push('  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" i w');
  lines.push('  (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"');
  lines.push('  # The command: the words before the cursor, up to the first flag.');
  lines.push('  for (( i = 1; i < COMP_CWORD; i++ )); do');
  lines.push('    w="${COMP_WORDS[i]}"');
  lines.push('    [[ $w == -* ]] && break');
  lines.push('    cmd="${cmd:+$cmd }$w"');
  lines.push('  done');
  lines.push('  # `help COMMAND`: command words only.');
  lines.push('  local helping=""');
  lines.push('  if [[ $cmd == help || $cmd == help\\ * ]]; then helping=1; cmd="${cmd#help}"; cmd="${cmd# }"; fi');
  lines.push('  case "$cmd" in');
  lines.push(`    "") COMPREPLY=( $(compgen -W "${words(firstWords)}" -- "$cur") ); return ;;`);
  for (const [topic, subs] of [...topics].sort()) lines.push(`    ${word(topic)}) COMPREPLY=( $(compgen -W "${words(subs.sort())}" -- "$cur") ); return ;;`);
  lines.push('  esac');
  lines.push('  [[ -n $helping ]] && { COMPREPLY=(); return; }');
  lines.push('  local flags="" values="" takes=""');
  lines.push('  case "$cmd" in');
  for (const c of [...commands].sort((a, b) => a.words.localeCompare(b.words))) {
    const all = c.flags.flatMap((f) => [`--${f.name}`, ...(f.allowNo ? [`--no-${f.name}`] : []), ...(f.char !== undefined ? [`-${f.char}`] : [])]);
    const valued = c.flags.filter((f) => f.takesValue).flatMap((f) => [`--${f.name}`, ...(f.char !== undefined ? [`-${f.char}`] : [])]);
    lines.push(`    ${c.words.split(' ').map(word).join('\\ ')})`);
    lines.push(`      flags="${words(all)}"`);
    lines.push(`      takes=" ${words(valued)} "`);
    const cases = c.flags.filter((f) => f.options !== undefined && f.options.length > 0);
    if (cases.length > 0) {
      lines.push('      case "$prev" in');
      for (const f of cases)
        lines.push(`        ${[`--${f.name}`, ...(f.char !== undefined ? [`-${f.char}`] : [])].map(word).join('|')}) values="${words(f.options!)}" ;;`);
      lines.push('      esac');
    }
    lines.push('      ;;');
  }
  lines.push('    *) return ;;');
  lines.push('  esac');
  lines.push('  if [[ -n $values ]]; then COMPREPLY=( $(compgen -W "$values" -- "$cur") ); return; fi');
  lines.push('  # A flag that takes a free value: file names (complete -o default).');
  lines.push('  if [[ $prev == -* && $takes == *" $prev "* ]]; then COMPREPLY=(); return; fi');
  lines.push('  if [[ $cur == -* ]]; then COMPREPLY=( $(compgen -W "$flags" -- "$cur") ); return; fi');
  lines.push('  COMPREPLY=()');
  lines.push('}');
  lines.push(`complete -o default -F ${fn} ${word(bin)}`);
  return lines.join('\n') + '\n';
}

/** zsh: the bash function through bashcompinit, which zsh ships. */
export function zshCompletion(bin: string, commands: readonly CompletionCommand[]): string {
  return [
    `#compdef ${word(bin)}`,
    `# ${bin} completion for zsh. Load it in this shell:  source <(${bin} completion zsh)`,
    `# or for every shell, in ~/.zshrc after compinit:  source <(${bin} completion zsh)`,
    'autoload -U +X bashcompinit && bashcompinit',
    bashCompletion(bin, commands)
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n'),
  ].join('\n');
}
