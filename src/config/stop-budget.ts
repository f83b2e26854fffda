/**
 * The stop budget (docs/scripts.md, "At shutdown"): how long a graceful stop gives the final
 * scripts (the backup or stop script each group queues when it is removed). The running script of
 * a group is cut short at stop so that its final script starts at once, and that final script is
 * itself cut to what is left of this budget. The whole stop must end before systemd's
 * TimeoutStopSec (45 s in contrib/carpd.service) sends SIGKILL: 30 s for the scripts plus the
 * kill grace and the groups' bow-outs stays under 40 s.
 */
export const STOP_SCRIPT_BUDGET_SECONDS = 30;
