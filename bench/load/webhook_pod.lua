-- bench/load/webhook_pod.lua — pod admission (POST /mutate--v1-pod, the AdmissionReview kube-apiserver
-- sent for a Job controller's pod) over TLS keep-alive. Run by bench/load/run.sh.
package.path = (os.getenv("LOAD_DIR") or "bench/load") .. "/?.lua;" .. package.path
require("common")
