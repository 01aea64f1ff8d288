// The probe: ONE POSIX sh script per host, run as one remote command, that prints every fact
// hactl needs in sections (`@@hactl:section NAME`) that parse.ts turns into HostFacts.
//
// Rules the script keeps: no `set -e` (a failing tool must not end the probe); each section
// reports the tools it could not find (`@@hactl:missing TOOL`) instead of failing; no writes
// anywhere; builtins (read, printf, globs) where a process would only read a file, because on a
// few hundred hosts every fork counts; values from the request are validated and shell-quoted.
import { observation, type Observation } from '../transport/transport.js';
import { shellQuote } from '../transport/quote.js';
import { unitName, validateRequest } from './request.js';
import type { FactRequest } from './types.js';

export const SECTION = '@@hactl:section ';
export const MISSING = '@@hactl:missing ';
export const DONE = '@@hactl:done';
/**
 * The files' tar archive: raw bytes from the line after ARCHIVE up to the ARCHIVE_END line (tar's
 * exit status), which only the DONE line follows. Last, so that it needs no length and no encoding.
 */
export const ARCHIVE = '@@hactl:archive';
export const ARCHIVE_END = '@@hactl:archive-end';
/** Files up to this size have their content reported. */
export const MAX_CONTENT_BYTES = 64 * 1024;

/** A literal $ before { inside String.raw templates. */
const D = '$';
const q = shellQuote;
const words = (xs: readonly string[]) => xs.map(q).join(' ');

// bash reads a whole file in one `read -d ''`; read line by line, a /proc file is generated
// again for every line (bash seeks back after each), which costs more than the rest of a section.
// Other shells (dash) read byte by byte either way and keep the loop.
const PRELUDE = String.raw`export LC_ALL=C
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH
NL='
'
h() { printf '\n${SECTION}%s\n' "$1"; }
has() { command -v "$1" >/dev/null 2>&1; }
miss() { printf '${MISSING}%s\n' "$1"; }
if [ -n "$BASH_VERSION" ]; then
slurp() { printf -v "$1" ''; [ -r "$2" ] || return 1; IFS= read -r -d '' "$1" < "$2"; return 0; }
dump() { slurp _d "$1" || return 1; printf '%s' "$_d"; case $_d in ''|*"$NL") ;; *) printf '\n';; esac; }
else
dump() { [ -r "$1" ] && while IFS= read -r l || [ -n "$l" ]; do printf '%s\n' "$l"; done < "$1"; }
fi
`;

// Each write of the probe's would be an SSH packet of its own: some fifty, many of a byte or two,
// each waking sshd on the host and hactl here. dd gathers them into one write (output blocks of
// obs bytes, whatever the size of each read); without dd the output goes out as it comes.
const GATHERED = `if has dd; then probe | dd ibs=65536 obs=1048576 2>/dev/null; else probe; fi`;

/**
 * Installed versions of `packages` from dpkg's database: read with awk while dpkg has no
 * journalled updates pending (a third of dpkg-query's cost on a host with a thousand packages),
 * else from dpkg-query, which merges them. Both print `name\tversion\tarch\tstatus-abbrev`.
 */
function dpkgPackages(packages: readonly string[]): string {
  const query = String.raw`dpkg-query -W -f='${D}{Package}\t${D}{Version}\t${D}{Architecture}\t${D}{db:Status-Abbrev}\n' -- ${words(packages)} 2>/dev/null`;
  // Status: want flag state; db:Status-Abbrev is want's and state's letters, then the error flag.
  // Paragraph mode: a stanza is looked at only when its first line (dpkg writes Package first) is
  // a wanted package, instead of every line of every stanza being matched (on a lab host, awk
  // with its start went from 3.2 to 1.9 ms of CPU).
  const awk = String.raw`awk -v want=${q(packages.join(' '))} '
BEGIN { RS = ""; FS = "\n"; n = split(want, ws, " "); for (i = 1; i <= n; i++) W["Package: " ws[i]] = 1 }
($1 in W) { v = ""; a = ""; w = ""; st = ""; f = ""
  for (i = 2; i <= NF; i++) {
    if ($i ~ /^Version: /) v = substr($i, 10); else if ($i ~ /^Architecture: /) a = substr($i, 15)
    else if ($i ~ /^Status: /) { split(substr($i, 9), s, " "); w = (s[1] == "deinstall") ? "r" : substr(s[1], 1, 1); f = s[2]
      st = (s[3] == "installed") ? "i" : (s[3] == "triggers-pending") ? "t" : (s[3] == "triggers-awaited") ? "W" : (s[3] == "half-configured") ? "F" : (s[3] == "unpacked") ? "U" : (s[3] == "half-installed") ? "H" : (s[3] == "config-files") ? "c" : "n" } }
  printf "%s\t%s\t%s\t%s%s%s\n", substr($1, 10), v, a, w, st, (f == "ok" ? " " : "R") }' /var/lib/dpkg/status`;
  return String.raw`j=; for u in /var/lib/dpkg/updates/[0-9]*; do [ -e "$u" ] && j=1; done
if [ -z "$j" ] && [ -r /var/lib/dpkg/status ] && has awk; then ${awk}; else ${query}; fi`;
}

export function probeScript(req: FactRequest): string {
  validateRequest(req);
  const modules = req.modules ?? [];
  const units = req.units.map(unitName);
  const parts: string[] = [PRELUDE, 'probe() {'];
  const add = (s: string) => parts.push(s);

  // bash (root's usual login shell) knows the time without a process; other shells ask date.
  add(`h clock; printf '%s\\n' "${D}{EPOCHSECONDS:-$(date +%s)}"`);
  add(`h os-release; dump /etc/os-release || dump /usr/lib/os-release`);
  add(String.raw`h system
read -r x < /proc/sys/kernel/hostname && printf 'hostname=%s\n' "$x"
read -r kr < /proc/sys/kernel/osrelease && printf 'kernel=%s\n' "$kr"
if [ -r /proc/sys/kernel/arch ]; then read -r x < /proc/sys/kernel/arch; printf 'arch=%s\n' "$x"; else printf 'arch=%s\n' "$(uname -m)"; fi
if [ -n "$BASH_VERSION" ]; then slurp x /proc/self/status; case $x in *CapBnd:*) x=${D}{x#*CapBnd:}; printf 'capbnd=%s\n' ${D}{x%%"$NL"*};; esac
else while read -r k v; do [ "$k" = CapBnd: ] && printf 'capbnd=%s\n' "$v"; done < /proc/self/status; fi
if [ -r /sys/devices/system/cpu/online ]; then read -r x < /sys/devices/system/cpu/online; printf 'cpus-online=%s\n' "$x"
else n=0; while read -r k rest; do [ "$k" = processor ] && n=$((n+1)); done < /proc/cpuinfo; printf 'cpus=%s\n' "$n"; fi`);
  add(`h meminfo; dump /proc/meminfo`);
  add(`h swaps; dump /proc/swaps`);
  add(`h fstab; dump /etc/fstab`);
  add(`h df; if has df; then df -Pk / /var; else miss df; fi`);
  add(String.raw`h ip
if has ip; then ip -j addr show; else miss ip; h netdev; for d in /sys/class/net/*; do [ -r "$d/operstate" ] && read -r s < "$d/operstate" && printf '%s %s\n' "${D}{d##*/}" "$s"; done; fi`);

  // Integer sysctl files answer only the first read: bash's read takes the value whole, dash's
  // reads byte by byte and gets one digit, so other shells ask grep.
  add(String.raw`h sysctl
set --
for f in ${words(req.sysctls.map((k) => `/proc/sys/${k.replace(/\./g, '/')}`))}; do if [ -r "$f" ]; then set -- "$@" "$f"; else printf 'absent %s\n' "$f"; fi; done
if [ -n "$BASH_VERSION" ]; then for f; do IFS= read -r v < "$f" && printf '%s:%s\n' "$f" "$v"; done
elif [ $# -gt 0 ]; then grep -H '' -- "$@"; fi`);

  // modules.builtin is searched only for modules that are neither loaded nor seen working.
  if (modules.length > 0) {
    const names = modules.map((m) => m.replace(/-/g, '_'));
    add(String.raw`h modules
seen=' '
if [ -n "$BASH_VERSION" ]; then
  slurp x /proc/modules; x=$NL$x
  for n in ${names.join(' ')}; do case $x in *"$NL$n "*) printf 'loaded %s\n' "$n"; seen="$seen$n ";; esac; done
  slurp x /proc/filesystems; case $x in *"${'\t'}overlay$NL"*) printf 'function overlay\n'; seen="$seen""overlay ";; esac
else
  [ -r /proc/modules ] && while read -r n rest; do case " ${names.join(' ')} " in *" $n "*) printf 'loaded %s\n' "$n"; seen="$seen$n ";; esac; done < /proc/modules
  while read -r a b; do if [ "$a" = overlay ] || [ "$b" = overlay ]; then printf 'function overlay\n'; seen="$seen""overlay "; fi; done < /proc/filesystems
fi
[ -d /proc/sys/net/bridge ] && printf 'function br_netfilter\n' && seen="$seen""br_netfilter "
need=; for m in ${names.join(' ')}; do case "$seen" in *" $m "*) ;; *) need=1;; esac; done
f=/lib/modules/$kr/modules.builtin
if [ -n "$need" ] && [ -r "$f" ]; then grep -E ${q(`/(${modules.map((m) => m.replace(/[-_]/g, '[-_]')).join('|')})\\.ko(\\..*)?$`)} "$f" | while IFS= read -r p; do b=${D}{p##*/}; printf 'builtin %s\n' "${D}{b%%.ko*}"; done; fi`);
  }

  // Package names start with a letter or digit (request.ts), so rpm needs no `--` (popt may not take it).
  add(String.raw`h packages
if has dpkg-query; then printf 'manager dpkg\n'; ${req.packages.length ? dpkgPackages(req.packages) : ':'}
elif has rpm; then printf 'manager rpm\n'; ${req.packages.length ? String.raw`rpm -q --qf '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\tinstalled\n' ${words(req.packages)} 2>/dev/null | grep '	'` : ':'}
  if [ -r /etc/dnf/plugins/versionlock.list ]; then h versionlock; dump /etc/dnf/plugins/versionlock.list; fi
else printf 'manager none\n'; miss dpkg-query; miss rpm; fi`);

  // What apt or dnf would install (the lists and metadata already on the host: no network). Asked
  // only while none of the packages is installed: apt-cache and dnf cost more than the rest of the
  // probe (0.5 s for apt-cache without a package cache on a test machine), and an installed
  // package's version is what counts. apt-cache runs with its binary caches off: as root it would
  // otherwise write /var/cache/apt/*.bin, and observing a host must change nothing on it.
  const candidates = req.candidates ?? [];
  if (candidates.length > 0) {
    add(String.raw`h candidates
c=; for p in ${words(candidates)}; do for f in /var/lib/dpkg/info/"$p".list /var/lib/dpkg/info/"$p":*.list; do [ -e "$f" ] && c=1; done; done
if [ -n "$c" ]; then printf 'installed\n'
elif has apt-cache; then apt-cache -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= policy -- ${words(candidates)} 2>/dev/null
elif has rpm && rpm -q -- ${words(candidates)} 2>/dev/null | grep -qv 'is not installed'; then printf 'installed\n'
elif has dnf; then printf 'dnf\n'; dnf -q -C repoquery --latest-limit=1 --qf '%{name}\t%{evr}\n' -- ${words(candidates)} 2>/dev/null
else miss apt-cache; miss dnf; fi`);
  }

  // The cgroup hierarchy as mounted (the mount table, read without a process): cgroup2 on
  // /sys/fs/cgroup is v2; a tmpfs there with cgroup2 on /sys/fs/cgroup/unified is hybrid.
  add(String.raw`h cgroup
if [ -r /proc/self/mounts ]; then while read -r dev mp fs rest; do case $mp in /sys/fs/cgroup|/sys/fs/cgroup/unified) printf '%s %s\n' "$mp" "$fs";; esac; done < /proc/self/mounts; fi`);

  add(String.raw`h units
if [ -d /run/systemd/system ] && has systemctl; then printf 'init systemd\n'; ${units.length ? `systemctl show --no-pager -p Id,LoadState,ActiveState,UnitFileState -- ${words(units)} 2>&1` : ':'}
else printf 'init other\n'
for u in ${words(units)}; do
  for d in /etc/systemd/system /run/systemd/system /usr/lib/systemd/system /lib/systemd/system; do if [ -e "$d/$u" ]; then printf 'file %s %s\n' "$u" "$d"; break; fi; done
  for w in /etc/systemd/system/*.wants/"$u"; do if [ -e "$w" ]; then printf 'wanted %s\n' "$u"; break; fi; done
done; fi`);

  // Files travel as one tar archive, written raw as the probe's last output (see ARCHIVE): type,
  // mode, owner, size and the bytes as read, whatever their number, in one process. Hashes and
  // contents are taken from it here (contents up to MAX_CONTENT_BYTES). Without tar: stat, small
  // files one by one in base64, sha256sum for the larger ones. Lists are newline-separated (request
  // paths cannot hold a newline) and split in memory, not through here-documents (which bash reads
  // a byte per system call).
  add(String.raw`h files
set --
for f in ${words(req.files)}; do if [ -e "$f" ] || [ -L "$f" ]; then set -- "$@" "$f"; else printf 'absent %s\n' "$f"; fi; done
present=; big=
if [ $# -gt 0 ] && has tar; then for f; do present="$present$f$NL"; done; set --
elif [ $# -gt 0 ] && has stat; then
  st=$(stat -c '%s %a %U %G %f|%n' -- "$@"); printf '%s\n' "$st"
  set -f; IFS=$NL
  for line in $st; do
    sz=${D}{line%% *}; rest=${D}{line#* * * * }; hex=${D}{rest%%|*}; name=${D}{line#*|}
    case $hex in ''|*[!0-9a-f]*) continue;; esac
    [ $((0x$hex & 61440)) -eq 32768 ] || continue
    if [ "$sz" -le ${MAX_CONTENT_BYTES} ]; then printf '@@hactl:content %s\n' "$name"; base64 -w0 -- "$name"; printf '\n'; else big="$big$name$NL"; fi
  done
  set -- $big
  unset IFS; set +f
elif [ $# -gt 0 ]; then miss stat; set --; fi
h sha256
if [ $# -gt 0 ]; then if has sha256sum; then sha256sum -- "$@"; else miss sha256sum; fi; fi`);

  // What can stop a write: the immutable flag (one lsattr for the regular files, when installed)
  // and read-only mounts (read with the shell's own read).
  add(String.raw`h lsattr
set --
for f in ${words(req.files)}; do if [ -f "$f" ] && [ ! -L "$f" ]; then set -- "$@" "$f"; fi; done
if [ $# -gt 0 ] && has lsattr; then lsattr -d -- "$@" 2>/dev/null; fi
h mounts; dump /proc/self/mounts`);

  const certDirs = req.certDirs ?? [];
  add(String.raw`h certs
if has openssl; then o=1; else o=; miss openssl; fi
x509() { if [ -n "$o" ]; then openssl x509 -noout -enddate -subject -nameopt RFC2253 2>&1; fi; }
for d in ${words(certDirs)}; do for f in "$d"/*.crt "$d"/*/*.crt; do if [ -f "$f" ]; then printf '@@hactl:cert %s\n' "$f"; x509 < "$f"; fi; done; done
f=/var/lib/kubelet/pki/kubelet-client-current.pem
if [ -f "$f" ]; then printf '@@hactl:cert %s\n' "$f"; x509 < "$f"; fi
for k in admin kubelet controller-manager scheduler super-admin; do
  f=/etc/kubernetes/$k.conf; [ -f "$f" ] || continue
  while read -r key val; do if [ "$key" = client-certificate-data: ]; then printf '@@hactl:cert %s\n' "$f"; printf '%s' "$val" | base64 -d 2>/dev/null | x509; break; fi; done < "$f"
done`);

  add(String.raw`h kubernetes
[ -d /etc/kubernetes ] && printf 'present\n'
for c in admin.conf kubelet.conf controller-manager.conf scheduler.conf super-admin.conf; do [ -f "/etc/kubernetes/$c" ] && printf 'conf %s\n' "$c"; done
for m in /etc/kubernetes/manifests/*; do [ -e "$m" ] && printf 'manifest %s\n' "${D}{m##*/}"; done
[ -f /var/lib/kubelet/config.yaml ] && printf 'kubelet-config\n'
[ -f /etc/kubernetes/pki/ca.crt ] && printf 'ca\n'`);

  // Which time service runs decides how sync is read (below), so note it while listing processes.
  add(String.raw`h processes
tc=; tt=
for c in /proc/[0-9]*/comm; do { read -r n < "$c"; } 2>/dev/null || continue; printf '%s\n' "$n"
  case $n in chronyd) tc=1;; systemd-timesyn) tt=1;; esac; done`);

  // The cheapest reliable source first: chronyc and the timesyncd flag file answer at once.
  // timedatectl is asked only when systemd-timedated already runs: otherwise D-Bus would start
  // it, and a started service leaves files behind (PrivateTmp dirs in /var/tmp): observing must
  // change nothing on the host. Then the sync state is unknown, which preflight reports.
  add(String.raw`h timesync
if [ -n "$tc" ] && has chronyc; then printf 'source chronyc\n'; chronyc -n tracking 2>&1
elif [ -n "$tt" ]; then printf 'source timesyncd-flag\n'; [ -e /run/systemd/timesync/synchronized ] && printf 'timesyncd-synchronized\n'
elif [ -d /run/systemd/system ] && has timedatectl && systemctl is-active --quiet systemd-timedated; then printf 'source timedatectl\n'; timedatectl show 2>&1
elif has chronyc; then printf 'source chronyc\n'; chronyc -n tracking 2>&1
elif [ -d /run/systemd/system ] && has timedatectl; then printf 'source none\n'
else miss timedatectl; miss chronyc; fi`);

  add(String.raw`h ports
if has ss; then ss -Htulpn
else miss ss; for t in tcp tcp6 udp udp6; do h "proc-net-$t"; dump "/proc/net/$t"; done; fi`);

  // Hard links are stored as content (a requested path is never "a link to another member"); tar's
  // status follows the archive, since a file that changed while read makes its bytes unreliable.
  // Records of one block (-b 1): not padded to 10 KiB of zeros.
  add(String.raw`if [ -n "$present" ]; then printf '\n${ARCHIVE}\n'; set -f; IFS=$NL; set -- $present; unset IFS; set +f
  tar -c -P --no-recursion --hard-dereference --format=gnu -b 1 -f - -- "$@" 2>/dev/null; printf '\n${ARCHIVE_END} %s' "$?"; fi`);
  add(`printf '\\n${DONE}\\n'`);
  parts.push('}', GATHERED);
  return parts.join('\n') + '\n';
}

/** The probe as an observation, for the read-only transport. */
export function probeObservation(req: FactRequest, timeoutMs = 60_000): Observation {
  return observation('facts-probe', probeScript(req), timeoutMs);
}
