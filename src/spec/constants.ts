// Versions hactl supports and picks by default. One place, so a bump is one edit.

/** Kubernetes minors hactl is tested with: 1.29.0 up to any 1.31 patch release. */
export const KUBERNETES_SUPPORTED = { major: 1, minMinor: 29, maxMinor: 31 } as const;

export const KUBERNETES_SUPPORTED_TEXT = `${KUBERNETES_SUPPORTED.major}.${KUBERNETES_SUPPORTED.minMinor}.0 to ${KUBERNETES_SUPPORTED.major}.${KUBERNETES_SUPPORTED.maxMinor}.x`;

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
/** The first minor version whose kubeadm takes a certificate validity (v1beta4 certificateValidityPeriod). */
export const CERT_VALIDITY_MINOR = 31;
