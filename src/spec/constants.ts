// Versions hactl supports and picks by default. One place, so a bump is one edit.

// The supported Kubernetes minors are a table of their own: versions.ts.

/** Versions of the CNI plugins used when the spec names none. */
export const DEFAULT_CNI_VERSIONS = { calico: '3.28.2', flannel: '0.26.1', cilium: '1.16.5' } as const;

/** The first keepalived priority and the step down for each further LB host. */
export const KEEPALIVED_PRIORITY_START = 110;
export const KEEPALIVED_PRIORITY_STEP = 10;

/** Port the proxy listens on when it shares the control-plane hosts with kube-apiserver (6443). */
export const CO_LOCATED_FRONTEND_PORT = 8443;
export const APISERVER_PORT = 6443;

/** Largest etcd cluster hactl builds. */
export const MAX_ETCD_MEMBERS = 7;

/** The term kubeadm gives the certificates it signs unless told otherwise (its CAs get ten years). */
export const KUBEADM_DEFAULT_CERT_DAYS = 365;
