import os
import tempfile

# With metrics on, the gunicorn workers write them to files the master sums up. The
# Prometheus client reads this variable when it is first imported: set it before.
if os.environ.get("NCMS_METRICS_ADDRESS") and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ncms-gateway-metrics-")

from gateway.server import main  # noqa: E402

main()
