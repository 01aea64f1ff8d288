#!/bin/sh
# What kubelet.service with 10-kubeadm.conf does under systemd (Restart=always): run the kubelet
# while the unit is active, restarting it when it exits. Driven by test/bin/systemctl.
S=/run/kubelet-standin
while :; do
  if [ -f $S/active ]; then
    KUBELET_KUBEADM_ARGS=
    [ -f /var/lib/kubelet/kubeadm-flags.env ] && . /var/lib/kubelet/kubeadm-flags.env
    kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf \
      --config=/var/lib/kubelet/config.yaml $KUBELET_KUBEADM_ARGS >>/var/log/pods/kubelet.log 2>&1 &
    echo $! >$S/kubelet.pid
    wait $!
    rm -f $S/kubelet.pid
  fi
  sleep 1
done
