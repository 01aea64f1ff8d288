// The host lab's API for end-to-end tests and benchmarks. See test/lab/README.md.
export { labUp, labDown, labStatus, waitHostReady, acquireLabSession, interruptLabUp } from './lab.js';
export { labAddHost, labRemoveHost } from './membership.js';
export type { LabUpOptions, LabStatus, HostStatus } from './lab.js';
export { readLabState } from './state.js';
export type { LabState, LabHost } from './state.js';
export { stopHost, killHost, startHost, cutSsh, stopSshd, startSshd, killProcess, findProcesses, linkDown, linkUp, hostConsole } from './faults.js';
export { sshExec, sshArgs } from './ssh.js';
export type { ExecResult } from './ssh.js';
export { hostMemoryBytes } from './cgroups.js';
export { mirrorSourceLine, minorRepoUrl, CONTAINERD_2_REPO, NEWER_SUITE, REPOSITORY_KEY_FILE } from './mirror.js';
export { LAB_OSES, DEFAULT_LAB_OS } from './image.js';
export type { LabOs } from './image.js';
export { topology } from './topology.js';
export type { Topology, TopologyName, HostKind, LabRole } from './topology.js';
export { clientKeyFile, knownHostsFile, hostsFile, ledgerFile, stateDir, BRIDGE, BRIDGE_ADDRESS } from './paths.js';
