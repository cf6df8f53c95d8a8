-- bench/load/extender_filter.lua — kube-scheduler's POST /scheduler/filter (nodeCacheCapable: 500
-- NodeNames) over keep-alive. Run by bench/load/run.sh.
package.path = (os.getenv("LOAD_DIR") or "bench/load") .. "/?.lua;" .. package.path
require("common")
