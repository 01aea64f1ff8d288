export * from './transport.js';
export { shellQuote, shellJoin } from './quote.js';
export { KnownHosts, fingerprint, knownHostsName, parseKnownHosts } from './known-hosts.js';
export { SshConnector, SshTransport, installScript, type HostTarget, type ConnectorOptions, type DownloadResult } from './ssh.js';
export { HostPool, Semaphore, DEFAULT_PARALLELISM, type HostPoolOptions } from './pool.js';
export { ReadOnlyTransport, readOnly } from './readonly.js';
export { SENSITIVE_MASK, Sensitive, command, maskSecrets, type CommandLine, type SecretField } from './sensitive.js';
