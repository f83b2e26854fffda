/**
 * The stop budget (docs/scripts.md, "Shutdown"): how long a graceful stop gives the scripts once
 * the groups have left and queued their final (backup or stop) script. A script still running
 * with a final script behind it keeps at most half of it; the final script gets the rest. The
 * whole stop must end before systemd's TimeoutStopSec (45 s in contrib/carpd.service) sends
 * SIGKILL: the graceful stop's hold (at most 4 s, docs/state-machine.md "Graceful stop"), the
 * removals, these 30 s and the exit stay near 40 s.
 */
export const STOP_SCRIPT_BUDGET_SECONDS = 30;
