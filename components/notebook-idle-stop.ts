/**
 * The notebook's on-start lifecycle script: every 5 minutes, ask the local Jupyter server
 * whether any kernel is busy or has been used recently; after `idleMinutes` of no activity, the
 * instance stops itself (its role may stop only this notebook). A stopped notebook costs only
 * its volume; a notebook left running is the most common forgotten bill of a by-hand setup.
 */
export function idleStopScript(idleMinutes: number): string {
    return `#!/bin/bash
set -euo pipefail
# Installed by the mlops Pulumi program (components/notebook-idle-stop.ts).
cat > /usr/local/bin/mlops-idle-stop.py <<'PY'
import json, os, ssl, subprocess, sys, time, urllib.request
from datetime import datetime, timezone

IDLE_SECONDS = ${idleMinutes * 60}
STATE = "/var/tmp/mlops-last-activity"

def now():
    return datetime.now(timezone.utc).timestamp()

def last_activity():
    # Jupyter on notebook instances serves HTTPS on 8443 with a self-signed certificate.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen("https://localhost:8443/api/sessions", context=ctx, timeout=10) as r:
        sessions = json.load(r)
    latest = None
    for s in sessions:
        kernel = s.get("kernel") or {}
        if kernel.get("execution_state") == "busy":
            return now()
        stamp = kernel.get("last_activity")
        if stamp:
            t = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
            latest = t if latest is None or t > latest else latest
    return latest

def main():
    try:
        seen = last_activity()
    except Exception as e:  # Jupyter restarting: never stop on a failed check
        print("idle check skipped:", e, file=sys.stderr)
        return
    if not os.path.exists(STATE):
        with open(STATE, "w") as f:
            f.write(str(now()))
    with open(STATE) as f:
        recorded = float(f.read().strip() or now())
    latest = max(x for x in (seen, recorded) if x is not None)
    with open(STATE, "w") as f:
        f.write(str(latest))
    if now() - latest < IDLE_SECONDS:
        return
    with open("/opt/ml/metadata/resource-metadata.json") as f:
        name = json.load(f)["ResourceName"]
    print(f"idle for {int((now() - latest) / 60)} minutes: stopping {name}", file=sys.stderr)
    subprocess.run(["aws", "sagemaker", "stop-notebook-instance", "--notebook-instance-name", name], check=True)

main()
PY
rm -f /var/tmp/mlops-last-activity
PYTHON=$(command -v python3 || echo /usr/bin/python3)
echo "*/5 * * * * root $PYTHON /usr/local/bin/mlops-idle-stop.py >> /var/log/mlops-idle-stop.log 2>&1" > /etc/cron.d/mlops-idle-stop
chmod 0644 /etc/cron.d/mlops-idle-stop
`;
}
