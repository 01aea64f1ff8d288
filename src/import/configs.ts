// Parsers for the configuration files a cluster built without hactl leaves on its hosts: text in,
// the few values import needs out. Pure; each tolerates what it does not understand (it returns
// less), because these files were written by hand or by other tools.

import { parse as parseYaml, parseAllDocuments } from 'yaml';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

export interface StaticPod {
  /** metadata.name without the node suffix kubeadm's mirror pods get (the file's own name). */
  name: string;
  image?: string;
  /** The first container's command and args as `--flag=value` (flags without a value: ''). */
  flags: Record<string, string>;
  /** The first container's env (kube-vip reads its settings from there). */
  env: Record<string, string>;
}

/** A static pod manifest; undefined when it is not a Pod. */
export function parseStaticPod(text: string): StaticPod | undefined {
  let o: unknown;
  try {
    o = parseYaml(text);
  } catch {
    return undefined;
  }
  if (!isObj(o) || o.kind !== 'Pod') return undefined;
  const spec = isObj(o.spec) ? o.spec : {};
  const containers = Array.isArray(spec.containers) ? spec.containers.filter(isObj) : [];
  const c = containers[0] ?? {};
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
  const words = [...list(c.command), ...list(c.args)].map((w) => str(w) ?? '');
  const flags: Record<string, string> = {};
  for (const w of words) {
    const m = /^--?([A-Za-z0-9][A-Za-z0-9-]*)(?:=(.*))?$/.exec(w);
    if (m) flags[m[1]!] = m[2] ?? '';
  }
  const env: Record<string, string> = {};
  for (const e of Array.isArray(c.env) ? c.env.filter(isObj) : []) {
    const n = str(e.name);
    const v = str(e.value);
    if (n !== undefined && v !== undefined) env[n] = v;
  }
  const meta = isObj(o.metadata) ? o.metadata : {};
  const image = str(c.image);
  return { name: str(meta.name) ?? '', ...(image !== undefined ? { image } : {}), flags, env };
}

/** `registry.k8s.io/kube-apiserver:v1.34.9` → `1.34.9`. */
export function imageVersion(image: string | undefined): string | undefined {
  const m = image !== undefined ? /:v?(\d+\.\d+\.\d+)(?:[-+@].*)?$/.exec(image) : null;
  return m?.[1];
}

export interface Endpoint {
  host: string;
  port: number;
}

/** `host:port`, `[v6]:port`, or a URL `https://host:port/...`. */
export function parseEndpoint(text: string, defaultPort = 6443): Endpoint | undefined {
  const t = text
    .trim()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/\/.*$/, '');
  if (t === '') return undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(t);
  if (v6) return { host: v6[1]!, port: v6[2] !== undefined ? Number(v6[2]) : defaultPort };
  const m = /^([^:\s]+)(?::(\d+))?$/.exec(t);
  if (!m) return undefined;
  return { host: m[1]!, port: m[2] !== undefined ? Number(m[2]) : defaultPort };
}

export interface ProxyConfig {
  /** What the proxy listens on (`*`/`0.0.0.0` as `*`). */
  listens: Endpoint[];
  /** Backend servers. */
  backends: Endpoint[];
  /** haproxy: `inter`, `fall`, `rise` of the first server line that has them. */
  healthCheck?: { intervalMs?: number; fall?: number; rise?: number };
}

const ms = (v: string): number | undefined => {
  const m = /^(\d+)(ms|s|m)?$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
};

function listenOf(spec: string): Endpoint | undefined {
  const s = spec.trim();
  if (/^\d+$/.test(s)) return { host: '*', port: Number(s) };
  const e = parseEndpoint(s.replace(/^\*:/, '*:'), 0);
  if (e === undefined || e.port === 0) return undefined;
  return { host: e.host === '0.0.0.0' || e.host === '::' ? '*' : e.host, port: e.port };
}

/** haproxy.cfg: `bind` lines and `server` lines (of every section). */
export function parseHaproxy(text: string): ProxyConfig {
  const out: ProxyConfig = { listens: [], backends: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const words = line.split(/\s+/);
    if (words[0] === 'bind' && words[1] !== undefined) {
      const l = listenOf(words[1]);
      if (l) out.listens.push(l);
    } else if (words[0] === 'server' && words[2] !== undefined) {
      const e = parseEndpoint(words[2], 0);
      if (e !== undefined && e.port !== 0) out.backends.push(e);
      const hc: { intervalMs?: number; fall?: number; rise?: number } = {};
      for (let i = 3; i < words.length - 1; i++) {
        const v = words[i + 1]!;
        if (words[i] === 'inter' && ms(v) !== undefined) hc.intervalMs = ms(v)!;
        if (words[i] === 'fall' && /^\d+$/.test(v)) hc.fall = Number(v);
        if (words[i] === 'rise' && /^\d+$/.test(v)) hc.rise = Number(v);
      }
      if (out.healthCheck === undefined && Object.keys(hc).length > 0) out.healthCheck = hc;
    }
  }
  return out;
}

/** nginx's stream block: `server host:port ...;` inside upstreams, `listen [addr:]port;` in servers. */
export function parseNginxStream(text: string): ProxyConfig {
  const out: ProxyConfig = { listens: [], backends: [] };
  const at = text.search(/\bstream\s*\{/);
  if (at < 0) return out;
  const body = text.slice(at).replace(/#.*$/gm, '');
  for (const m of body.matchAll(/\bupstream\s+\S+\s*\{([^}]*)\}/g)) {
    for (const s of m[1]!.matchAll(/\bserver\s+([^\s;]+)/g)) {
      const e = parseEndpoint(s[1]!, 0);
      if (e !== undefined && e.port !== 0) out.backends.push(e);
    }
  }
  for (const m of body.matchAll(/\blisten\s+([^\s;]+)/g)) {
    const l = listenOf(m[1]!);
    if (l) out.listens.push(l);
  }
  return out;
}

export interface KeepalivedConfig {
  virtualRouterId?: number;
  interface?: string;
  priority?: number;
  state?: string;
  unicast: boolean;
  /** VIPs with their prefix length when written (`198.18.0.100/24`). */
  vips: { address: string; prefix?: number }[];
  /** A VRRP password is set (its value is never kept). */
  authPassword: boolean;
}

/** keepalived.conf's first vrrp_instance. The password's value is dropped here. */
export function parseKeepalived(text: string): KeepalivedConfig {
  const t = text.replace(/[#!].*$/gm, '');
  const num = (re: RegExp) => {
    const m = re.exec(t);
    return m ? Number(m[1]) : undefined;
  };
  const out: KeepalivedConfig = { unicast: /\bunicast_peer\s*\{/.test(t), vips: [], authPassword: /\bauth_pass\s+\S+/.test(t) };
  const vrid = num(/\bvirtual_router_id\s+(\d+)/);
  if (vrid !== undefined) out.virtualRouterId = vrid;
  const prio = num(/\bpriority\s+(\d+)/);
  if (prio !== undefined) out.priority = prio;
  const iface = /\binterface\s+(\S+)/.exec(t);
  if (iface) out.interface = iface[1]!;
  const state = /\bstate\s+(\S+)/.exec(t);
  if (state) out.state = state[1]!;
  const block = /\bvirtual_ipaddress\s*\{([^}]*)\}/.exec(t);
  for (const line of block ? block[1]!.split('\n') : []) {
    const m = /^\s*([0-9a-fA-F:.]+)(?:\/(\d+))?/.exec(line);
    if (m) out.vips.push({ address: m[1]!, ...(m[2] !== undefined ? { prefix: Number(m[2]) } : {}) });
  }
  return out;
}

export interface KubeletConfig {
  clusterDomain?: string;
  cgroupDriver?: string;
  failCgroupV1?: boolean;
  staticPodPath?: string;
}

export function parseKubeletConfig(text: string): KubeletConfig {
  let o: unknown;
  try {
    o = parseYaml(text);
  } catch {
    return {};
  }
  if (!isObj(o)) return {};
  const out: KubeletConfig = {};
  if (typeof o.clusterDomain === 'string') out.clusterDomain = o.clusterDomain;
  if (typeof o.cgroupDriver === 'string') out.cgroupDriver = o.cgroupDriver;
  if (typeof o.failCgroupV1 === 'boolean') out.failCgroupV1 = o.failCgroupV1;
  if (typeof o.staticPodPath === 'string') out.staticPodPath = o.staticPodPath;
  return out;
}

export interface ClusterConfiguration {
  apiVersion?: string;
  kubernetesVersion?: string;
  controlPlaneEndpoint?: string;
  podSubnet?: string;
  serviceSubnet?: string;
  dnsDomain?: string;
  /** `etcd.external.endpoints` when the cluster uses external etcd. */
  externalEtcd?: string[];
  certSANs: string[];
  /** v1beta4 `certificateValidityPeriod` (Go duration, e.g. `8760h0m0s`) in days. */
  certificateValidityDays?: number;
  imageRepository?: string;
}

/** A Go duration such as `8760h0m0s` in whole days. */
export function durationDays(d: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(d.trim());
  if (!m || d.trim() === '') return undefined;
  const hours = Number(m[1] ?? 0) + Number(m[2] ?? 0) / 60 + Number(m[3] ?? 0) / 3600;
  return Math.round(hours / 24);
}

/** kubeadm's ClusterConfiguration, as stored in kubeadm-config (or one document of a config file). */
export function parseClusterConfiguration(text: string): ClusterConfiguration | undefined {
  for (const doc of parseAllDocuments(text)) {
    let o: unknown;
    try {
      o = doc.toJS();
    } catch {
      continue;
    }
    if (!isObj(o) || o.kind !== 'ClusterConfiguration') continue;
    const net = isObj(o.networking) ? o.networking : {};
    const etcd = isObj(o.etcd) ? o.etcd : {};
    const ext = isObj(etcd.external) ? etcd.external : undefined;
    const api = isObj(o.apiServer) ? o.apiServer : {};
    const out: ClusterConfiguration = { certSANs: Array.isArray(api.certSANs) ? api.certSANs.map((s) => str(s) ?? '').filter((s) => s !== '') : [] };
    const set = <K extends keyof ClusterConfiguration>(k: K, v: ClusterConfiguration[K] | undefined) => {
      if (v !== undefined && v !== '') out[k] = v;
    };
    set('apiVersion', str(o.apiVersion));
    set('kubernetesVersion', str(o.kubernetesVersion));
    set('controlPlaneEndpoint', str(o.controlPlaneEndpoint));
    set('podSubnet', str(net.podSubnet));
    set('serviceSubnet', str(net.serviceSubnet));
    set('dnsDomain', str(net.dnsDomain));
    set('imageRepository', str(o.imageRepository));
    if (ext !== undefined && Array.isArray(ext.endpoints)) out.externalEtcd = ext.endpoints.map((e) => str(e) ?? '');
    const validity = str(o.certificateValidityPeriod);
    if (validity !== undefined) set('certificateValidityDays', durationDays(validity));
    return out;
  }
  return undefined;
}

export interface ContainerdConfig {
  version?: number;
  sandboxImage?: string;
  systemdCgroup?: boolean;
  configPath?: string;
  /** Mirrors written the old way (`registry.mirrors`, deprecated in containerd 1.5). */
  legacyMirrors: string[];
}

/** The few keys of containerd's config.toml import reads (a line scan, not a TOML parser). */
export function parseContainerdConfig(text: string): ContainerdConfig {
  const t = text.replace(/^\s*#.*$/gm, '');
  const q = (re: RegExp) => re.exec(t)?.[1];
  const out: ContainerdConfig = { legacyMirrors: [] };
  const v = q(/^\s*version\s*=\s*(\d+)/m);
  if (v !== undefined) out.version = Number(v);
  const sandbox = q(/^\s*sandbox_image\s*=\s*["']([^"']+)["']/m) ?? q(/^\s*sandbox\s*=\s*["']([^"']+)["']/m);
  if (sandbox !== undefined) out.sandboxImage = sandbox;
  const cg = q(/^\s*SystemdCgroup\s*=\s*(true|false)/m);
  if (cg !== undefined) out.systemdCgroup = cg === 'true';
  const cp = q(/^\s*config_path\s*=\s*["']([^"']*)["']/m);
  if (cp !== undefined) out.configPath = cp;
  for (const m of t.matchAll(/registry\.mirrors\.["']([^"']+)["']\]/g)) out.legacyMirrors.push(m[1]!);
  return out;
}

/** hosts.toml: the `[host."URL"]` endpoints in order (containerd's docs/hosts.md). */
export function parseHostsToml(text: string): { server?: string; hosts: string[] } {
  const t = text.replace(/^\s*#.*$/gm, '');
  const server = /^\s*server\s*=\s*["']([^"']+)["']/m.exec(t)?.[1];
  const hosts = [...t.matchAll(/^\s*\[host\.["']([^"']+)["']\]/gm)].map((m) => m[1]!);
  return { ...(server !== undefined ? { server } : {}), hosts };
}

export interface AptSourceLine {
  uri: string;
  suite: string;
  components: string[];
  trusted: boolean;
  signedBy?: string;
  /** The file it came from. */
  file: string;
}

/** One-line (`.list`) and deb822 (`.sources`) apt sources; `deb-src` and disabled entries are skipped. */
export function parseAptSources(file: string, text: string): AptSourceLine[] {
  const out: AptSourceLine[] = [];
  if (file.endsWith('.sources')) {
    for (const para of text.split(/\n\s*\n/)) {
      const kv: Record<string, string> = {};
      for (const l of para.split('\n')) {
        const m = /^([A-Za-z-]+):\s*(.*)$/.exec(l);
        if (m) kv[m[1]!.toLowerCase()] = m[2]!.trim();
      }
      if (!(kv.types ?? '').split(/\s+/).includes('deb') || (kv.enabled ?? 'yes') === 'no') continue;
      for (const uri of (kv.uris ?? '').split(/\s+/).filter(Boolean))
        for (const suite of (kv.suites ?? '').split(/\s+/).filter(Boolean))
          out.push({
            uri,
            suite,
            components: (kv.components ?? '').split(/\s+/).filter(Boolean),
            trusted: kv.trusted === 'yes',
            ...(kv['signed-by'] !== undefined && kv['signed-by'].startsWith('/') ? { signedBy: kv['signed-by'] } : {}),
            file,
          });
    }
    return out;
  }
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)(.*)$/.exec(line);
    if (!m) continue;
    const opts = Object.fromEntries((m[1] ?? '').split(/\s+/).flatMap((o) => (o.includes('=') ? [o.split('=', 2) as [string, string]] : [])));
    out.push({
      uri: m[2]!,
      suite: m[3]!,
      components: m[4]!.trim().split(/\s+/).filter(Boolean),
      trusted: opts.trusted === 'yes',
      ...(opts['signed-by'] !== undefined ? { signedBy: opts['signed-by'] } : {}),
      file,
    });
  }
  return out;
}

/** `http://mirror/core:/stable:/v1.34/deb/` → base `http://mirror/` and minor `1.34`. */
export function kubernetesRepositoryOf(uri: string): { baseUrl: string; minor: string; format: 'deb' | 'rpm' } | undefined {
  const m = /^(.*\/)core:\/stable:\/v(\d+\.\d+)\/(deb|rpm)\/?$/.exec(uri);
  return m ? { baseUrl: m[1]!, minor: m[2]!, format: m[3] as 'deb' | 'rpm' } : undefined;
}
