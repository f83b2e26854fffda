/*
 * carpd-guard: carpd's cleanup guard as a small C program instead of a second Node runtime
 * (src/daemon/cleanup-guard.ts starts and supervises it). It waits on its stdin, a pipe from the
 * daemon. If the pipe closes without "done" (the daemon was SIGKILLed, OOM-killed, crashed), it
 * removes what the daemon had put on the host, by rtnetlink, within milliseconds: carp<vhid>
 * macvlans (only the one with the ifindex the daemon created, so a restarted daemon's new one
 * is left alone) and virtual addresses on parents (without --vmac), only those that carry carpd's
 * mark (address protocol CARPD_ADDRESS_PROTOCOL, src/ports/host-netlink.ts): an unmarked address
 * is the host's own or an operator's and stays.
 *
 * Its lines on stderr (the daemon's log) are JSON objects like the daemon's own
 * (src/linux/console-logger.ts), a readable line when stderr is a terminal.
 *
 * The pipe carries lines (the latest committed spec wins; a spec cut off by the daemon's death
 * is never committed):
 *   spec                     begin a new spec
 *   link IFINDEX NAME        delete link IFINDEX if it is still called NAME
 *   addr IFNAME IP PREFIX    remove IP/PREFIX from IFNAME (IPv4 or IPv6)
 *   down IFNAME IP MS PATH   where the scripts own the address (ucarp mode): run PATH if IP is
 *   arg VALUE                still on IFNAME, with these arguments and exactly this environment,
 *   env NAME=VALUE           SIGTERM to its process group after MS ms, SIGKILL 2 s later
 *   user UID GID             (PATH, VALUE: %XX for '%', whitespace and control bytes), as
 *                            UID/GID when a user line is given (script_user)
 *   end                      commit the spec begun
 *   done                     clean stop: exit 0 touching nothing
 * Signals the daemon's terminal or process group may send (SIGINT, SIGTERM, SIGHUP) are
 * ignored: only the pipe ends the guard. Exit status 0, or 1 when a cleanup step failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IFA_PROTO
#define IFA_PROTO 11 /* linux/if_addr.h since Linux 6.1 */
#endif
/* src/ports/host-netlink.ts CARPD_ADDRESS_PROTOCOL: the mark on every address carpd adds. */
#define CARPD_ADDRESS_PROTOCOL 112

#define MAX_ITEMS 1024
#define LINE_MAX_LEN 512

struct item {
  int is_link;
  int ifindex;             /* link: the macvlan's ifindex */
  char name[IF_NAMESIZE];  /* link: its name; addr: the parent's name */
  int family;              /* addr */
  unsigned char address[16];
  int prefix;
};

static struct item committed[MAX_ITEMS], pending[MAX_ITEMS];

/* Writes `text` as the inside of a JSON string: quotes, backslashes and control bytes escaped. */
static void json_string(FILE *out, const char *text) {
  for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
    if (*c == '"' || *c == '\\') fprintf(out, "\\%c", *c);
    else if (*c < 0x20) fprintf(out, "\\u%04x", *c);
    else fputc(*c, out);
  }
}

/*
 * One log line as the daemon writes them: {"time","level","msg", fields...} when stderr is not a
 * terminal, else "TIME LEVEL msg  key=value". `fields` holds name/value string pairs, then NULL;
 * a value starting with '#' is written as a number (without the '#').
 */
static void log_line(const char *level, const char *message, ...) {
  struct timespec now;
  struct tm utc;
  char stamp[32];
  clock_gettime(CLOCK_REALTIME, &now);
  gmtime_r(&now.tv_sec, &utc);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  int json = !isatty(STDERR_FILENO);
  va_list fields;
  va_start(fields, message);
  if (json) {
    fprintf(stderr, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"", stamp, now.tv_nsec / 1000000, level);
    json_string(stderr, message);
    fputs("\",\"component\":\"carpd-guard\"", stderr);
  } else {
    char upper[8] = {0};
    for (int i = 0; i < 5 && level[i] != '\0'; i++) upper[i] = (char)(level[i] - 32);
    fprintf(stderr, "%s.%03ldZ %-5s carpd-guard: %s ", stamp, now.tv_nsec / 1000000, upper, message);
  }
  for (const char *name = va_arg(fields, const char *); name != NULL; name = va_arg(fields, const char *)) {
    const char *value = va_arg(fields, const char *);
    if (!json) fprintf(stderr, " %s=%s", name, value[0] == '#' ? value + 1 : value);
    else if (value[0] == '#') fprintf(stderr, ",\"%s\":%s", name, value + 1);
    else {
      fprintf(stderr, ",\"%s\":\"", name);
      json_string(stderr, value);
      fputc('"', stderr);
    }
  }
  va_end(fields);
  fputs(json ? "}\n" : "\n", stderr);
}
static int committed_count, pending_count, in_spec;

/* Down scripts (docs/fail-safe.md): the strings are malloc'd, owned by the array they are in. */
#define MAX_DOWN 64
#define MAX_ARGS 8
#define MAX_ENV 32
#define KILL_GRACE_MS 2000
struct down {
  char ifname[IF_NAMESIZE];
  int family;
  unsigned char address[16];
  char ip[INET6_ADDRSTRLEN];
  long timeout_ms;
  char *argv[MAX_ARGS + 2]; /* path, arguments, NULL */
  int argc;
  char *envp[MAX_ENV + 1];
  int envc;
  int has_user; /* a user line: run it as uid/gid (script_user, docs/scripts.md) */
  uid_t uid;
  gid_t gid;
  int broken; /* an arg/env/user line of it was not taken: never run half a script */
};
static struct down down_committed[MAX_DOWN], down_pending[MAX_DOWN];
static int down_committed_count, down_pending_count;
/* Whether the last down line was taken: arg/env lines belong to it, or to nothing. */
static int down_open;

static void free_downs(struct down *downs, int count) {
  for (int i = 0; i < count; i++) {
    for (int j = 0; j < downs[i].argc; j++) free(downs[i].argv[j]);
    for (int j = 0; j < downs[i].envc; j++) free(downs[i].envp[j]);
  }
  memset(downs, 0, sizeof(struct down) * (size_t)count);
}

static void down_begin(void) {
  free_downs(down_pending, down_pending_count);
  down_pending_count = 0;
  down_open = 0;
}

static void down_commit(void) {
  free_downs(down_committed, down_committed_count);
  memcpy(down_committed, down_pending, sizeof(struct down) * (size_t)down_pending_count);
  down_committed_count = down_pending_count;
  memset(down_pending, 0, sizeof(struct down) * (size_t)down_pending_count);
  down_pending_count = 0;
  down_open = 0;
}

/* A copy of a %XX-encoded field, decoded; NULL when malformed or out of memory. */
static char *decode_field(const char *field) {
  size_t length = strlen(field);
  char *out = malloc(length + 1), *o = out;
  if (out == NULL) return NULL;
  for (const char *p = field; *p != '\0'; p++) {
    unsigned value;
    if (*p != '%') {
      *o++ = *p;
    } else if (sscanf(p + 1, "%2x", &value) == 1 && p[1] != '\0' && p[2] != '\0') {
      *o++ = (char)value;
      p += 2;
    } else {
      free(out);
      return NULL;
    }
  }
  *o = '\0';
  return out;
}

/* A down/arg/env line of the spec begun; returns 0 when the line is none of them. */
static int take_down_line(const char *line) {
  char name[LINE_MAX_LEN], ip[LINE_MAX_LEN], field[LINE_MAX_LEN];
  long timeout;
  struct down *last = down_open ? &down_pending[down_pending_count - 1] : NULL;
  char *value;
  if (strncmp(line, "down ", 5) == 0) {
    down_open = 0;
    if (sscanf(line, "down %511s %511s %ld %511s", name, ip, &timeout, field) != 4) return 1;
    if (down_pending_count >= MAX_DOWN || strlen(name) >= IF_NAMESIZE || timeout <= 0) return 1;
    struct down *d = &down_pending[down_pending_count];
    if (inet_pton(AF_INET, ip, d->address) == 1) d->family = AF_INET;
    else if (inet_pton(AF_INET6, ip, d->address) == 1) d->family = AF_INET6;
    else return 1;
    if ((d->argv[0] = decode_field(field)) == NULL) return 1;
    d->argc = 1;
    strcpy(d->ifname, name);
    inet_ntop(d->family, d->address, d->ip, sizeof d->ip);
    d->timeout_ms = timeout;
    down_pending_count++;
    down_open = 1;
  } else if (strncmp(line, "arg ", 4) == 0) {
    if (last == NULL) return 1;
    if (last->argc >= MAX_ARGS + 1 || (value = decode_field(line + 4)) == NULL) last->broken = 1;
    else last->argv[last->argc++] = value;
  } else if (strncmp(line, "user ", 5) == 0) {
    unsigned long uid, gid;
    char extra;
    if (last == NULL) return 1;
    if (last->has_user || sscanf(line, "user %lu %lu %c", &uid, &gid, &extra) != 2 || uid > 0xfffffffeUL || gid > 0xfffffffeUL) last->broken = 1;
    else {
      last->has_user = 1;
      last->uid = (uid_t)uid;
      last->gid = (gid_t)gid;
    }
  } else if (strncmp(line, "env ", 4) == 0) {
    if (last == NULL) return 1;
    if (last->envc >= MAX_ENV || strchr(line + 4, '=') == NULL || (value = decode_field(line + 4)) == NULL) last->broken = 1;
    else last->envp[last->envc++] = value;
  } else {
    return 0;
  }
  return 1;
}

static void take(char *line) {
  char name[LINE_MAX_LEN], ip[LINE_MAX_LEN];
  int index, prefix;
  struct item it;
  memset(&it, 0, sizeof it);
  if (strcmp(line, "spec") == 0) {
    in_spec = 1;
    pending_count = 0;
    down_begin();
  } else if (strcmp(line, "end") == 0) {
    if (!in_spec) return;
    memcpy(committed, pending, sizeof(struct item) * (size_t)pending_count);
    committed_count = pending_count;
    down_commit();
    in_spec = 0;
  } else if (in_spec && sscanf(line, "link %d %511s", &index, name) == 2) {
    if (pending_count >= MAX_ITEMS || strlen(name) >= IF_NAMESIZE) return;
    it.is_link = 1;
    it.ifindex = index;
    strcpy(it.name, name);
    pending[pending_count++] = it;
  } else if (in_spec && sscanf(line, "addr %511s %511s %d", name, ip, &prefix) == 3) {
    if (pending_count >= MAX_ITEMS || strlen(name) >= IF_NAMESIZE) return;
    strcpy(it.name, name);
    it.prefix = prefix;
    if (inet_pton(AF_INET, ip, it.address) == 1) it.family = AF_INET;
    else if (inet_pton(AF_INET6, ip, it.address) == 1) it.family = AF_INET6;
    else return;
    pending[pending_count++] = it;
  } else if (in_spec && take_down_line(line)) {
    /* taken (or refused whole: a down item that is not valid is not run) */
  } else {
    log_line("warn", "ignoring an unknown line", NULL);
  }
}

/*
 * recv() of one datagram from the kernel: a datagram another process sent (sender port id not 0)
 * could forge an ack or a dump entry, so it is skipped (issue 18).
 */
static ssize_t recv_from_kernel(int fd, void *buffer, size_t size) {
  /* Bounded: a flood of forged datagrams ends the wait as an error, never hangs the guard. */
  for (int skipped = 0; skipped < 1024; skipped++) {
    struct sockaddr_nl from;
    socklen_t length = sizeof from;
    memset(&from, 0, sizeof from);
    ssize_t n = recvfrom(fd, buffer, size, 0, (struct sockaddr *)&from, &length);
    if (n < 0 || from.nl_pid == 0) return n;
  }
  errno = EIO;
  return -1;
}

/* Sends one request and waits for its ack; returns 0 or a positive errno. */
static int request(int fd, struct nlmsghdr *message, unsigned seq) {
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  message->nlmsg_seq = seq;
  message->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  if (sendto(fd, message, message->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return errno;
  char reply[8192];
  for (int tries = 0; tries < 16; tries++) {
    ssize_t n = recv_from_kernel(fd, reply, sizeof reply);
    if (n < 0) return errno == EINTR ? EINTR : errno;
    for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR) continue;
      int error = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
      return error < 0 ? -error : 0;
    }
  }
  return ETIMEDOUT;
}

static void add_attribute(struct nlmsghdr *message, unsigned short type, const void *data, unsigned short length) {
  struct rtattr *attribute = (struct rtattr *)((char *)message + NLMSG_ALIGN(message->nlmsg_len));
  attribute->rta_type = type;
  attribute->rta_len = (unsigned short)RTA_LENGTH(length);
  memcpy(RTA_DATA(attribute), data, length);
  message->nlmsg_len = NLMSG_ALIGN(message->nlmsg_len) + RTA_ALIGN(attribute->rta_len);
}

static int delete_link(int fd, const struct item *it, unsigned seq) {
  char name[IF_NAMESIZE];
  /* Only the interface the dead daemon made: same index, still the same name. */
  if (if_indextoname((unsigned)it->ifindex, name) == NULL || strcmp(name, it->name) != 0) return 0;
  struct {
    struct nlmsghdr header;
    struct ifinfomsg info;
  } message;
  memset(&message, 0, sizeof message);
  message.header.nlmsg_len = NLMSG_LENGTH(sizeof message.info);
  message.header.nlmsg_type = RTM_DELLINK;
  message.info.ifi_family = AF_UNSPEC;
  message.info.ifi_index = it->ifindex;
  int error = request(fd, &message.header, seq);
  return error == ENODEV ? 0 : error;
}

/*
 * Whether the address is on interface `index` with carpd's mark (RTM_GETADDR dump of its family):
 * 1 marked, 0 absent or unmarked (*unmarked set when present without the mark), or -errno.
 */
static int is_marked(int fd, const struct item *it, unsigned index, unsigned seq, int *unmarked) {
  struct {
    struct nlmsghdr header;
    struct ifaddrmsg info;
  } message;
  memset(&message, 0, sizeof message);
  message.header.nlmsg_len = NLMSG_LENGTH(sizeof message.info);
  message.header.nlmsg_type = RTM_GETADDR;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.header.nlmsg_seq = seq;
  message.info.ifa_family = (unsigned char)it->family;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &message, message.header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -errno;
  size_t length = it->family == AF_INET ? 4 : 16;
  int marked = 0;
  static char reply[32768];
  /* Bounded: a dump of thousands of addresses takes a few dozen datagrams. */
  for (int datagrams = 0; datagrams < 4096; datagrams++) {
    ssize_t n = recv_from_kernel(fd, reply, sizeof reply);
    if (n < 0) return -errno;
    for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) return marked;
      if (h->nlmsg_type == NLMSG_ERROR) return -EIO;
      if (h->nlmsg_type != RTM_NEWADDR) continue;
      struct ifaddrmsg *info = (struct ifaddrmsg *)NLMSG_DATA(h);
      if (info->ifa_index != index || info->ifa_family != it->family || info->ifa_prefixlen != it->prefix) continue;
      int same = 0, proto = 0;
      int left = (int)IFA_PAYLOAD(h);
      for (struct rtattr *a = IFA_RTA(info); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
        if ((a->rta_type == IFA_LOCAL || (a->rta_type == IFA_ADDRESS && !same)) && RTA_PAYLOAD(a) == length)
          same = memcmp(RTA_DATA(a), it->address, length) == 0;
        if (a->rta_type == IFA_PROTO && RTA_PAYLOAD(a) >= 1) proto = *(unsigned char *)RTA_DATA(a);
      }
      if (!same) continue;
      if (proto == CARPD_ADDRESS_PROTOCOL) marked = 1;
      else *unmarked = 1;
    }
  }
  return -EIO;
}

static int delete_address(int fd, const struct item *it, unsigned seq) {
  unsigned index = if_nametoindex(it->name);
  if (index == 0) return 0; /* the parent is gone, and its addresses with it */
  int unmarked = 0;
  int marked = is_marked(fd, it, index, seq + 0x10000, &unmarked);
  if (marked < 0) return -marked;
  if (marked == 0) {
    char text[INET6_ADDRSTRLEN];
    inet_ntop(it->family, it->address, text, sizeof text);
    /* Never the host's own address: only what carpd added carries its mark. */
    if (unmarked) log_line("warn", "left an address without carpd's mark in place", "interface", it->name, "address", text, NULL);
    return 0;
  }
  struct {
    struct nlmsghdr header;
    struct ifaddrmsg info;
    char attributes[64];
  } message;
  memset(&message, 0, sizeof message);
  message.header.nlmsg_len = NLMSG_LENGTH(sizeof message.info);
  message.header.nlmsg_type = RTM_DELADDR;
  message.info.ifa_family = (unsigned char)it->family;
  message.info.ifa_prefixlen = (unsigned char)it->prefix;
  message.info.ifa_index = index;
  unsigned short length = it->family == AF_INET ? 4 : 16;
  add_attribute(&message.header, IFA_LOCAL, it->address, length);
  add_attribute(&message.header, IFA_ADDRESS, it->address, length);
  int error = request(fd, &message.header, seq);
  return error == EADDRNOTAVAIL || error == ENODEV ? 0 : error;
}

static int clean_up(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    log_line("error", "could not open a netlink socket", "error", strerror(errno), NULL);
    return 1;
  }
  struct timeval timeout = {.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  int failed = 0;
  for (int i = 0; i < committed_count; i++) {
    const struct item *it = &committed[i];
    int error = it->is_link ? delete_link(fd, it, (unsigned)i + 1) : delete_address(fd, it, (unsigned)i + 1);
    if (error != 0) {
      failed = 1;
      log_line("error", it->is_link ? "could not remove a link" : "could not remove an address", "interface", it->name, "error", strerror(error), NULL);
    }
  }
  close(fd);
  char count[16];
  snprintf(count, sizeof count, "#%d", committed_count);
  log_line("warn", "carpd ended without a clean stop: removed what it had configured", "items", count, NULL);
  return failed;
}

/* Whether the address is on the interface now (an IPv4 label "IFNAME:x" counts as IFNAME). */
static int address_present(const struct down *d) {
  struct ifaddrs *all;
  int found = 0;
  size_t length = strlen(d->ifname);
  if (getifaddrs(&all) != 0) return 1; /* cannot tell: run the script, which must cope with an absent address anyway */
  for (struct ifaddrs *a = all; a != NULL && !found; a = a->ifa_next) {
    if (a->ifa_addr == NULL || a->ifa_addr->sa_family != d->family) continue;
    if (strncmp(a->ifa_name, d->ifname, length) != 0 || (a->ifa_name[length] != '\0' && a->ifa_name[length] != ':')) continue;
    const void *bytes = d->family == AF_INET ? (const void *)&((struct sockaddr_in *)a->ifa_addr)->sin_addr : (const void *)&((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
    found = memcmp(bytes, d->address, d->family == AF_INET ? 4 : 16) == 0;
  }
  freeifaddrs(all);
  return found;
}

/* Waits for the script, SIGTERM to its group at the timeout, SIGKILL after the grace: bounded. */
static int wait_script(pid_t pid, long timeout_ms, int *status) {
  const struct timespec tick = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
  long waited = 0;
  int terminated = 0;
  for (;;) {
    pid_t done = waitpid(pid, status, WNOHANG);
    if (done == pid) return terminated;
    if (done < 0 && errno != EINTR) return terminated;
    if (!terminated && waited >= timeout_ms) {
      kill(-pid, SIGTERM);
      terminated = 1;
      waited = 0;
      timeout_ms = KILL_GRACE_MS;
    } else if (terminated && waited >= timeout_ms) {
      kill(-pid, SIGKILL);
      while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
      }
      return terminated;
    }
    nanosleep(&tick, NULL);
    waited += 10;
  }
}

/* Runs one down script if its address is still there; 0 when not needed or it exited 0. */
static int run_down(const struct down *d) {
  if (d->broken) {
    log_line("error", "not running the down script: its arguments, environment or user came garbled", "script", d->argv[0], NULL);
    return 1;
  }
  if (!address_present(d)) return 0;
  log_line("warn", "the address is still there: running the down script", "interface", d->ifname, "address", d->ip, "script", d->argv[0], NULL);
  pid_t pid = fork();
  if (pid < 0) {
    log_line("error", "could not fork for the down script", "script", d->argv[0], "error", strerror(errno), NULL);
    return 1;
  }
  if (pid == 0) {
    /* As the daemon runs scripts (docs/scripts.md): own process group, stdin /dev/null, cwd /,
       default signal handling (the guard ignores SIGTERM), normal priority (the guard is niced). */
    setsid();
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    dup2(2, 1);
    if (chdir("/") != 0) _exit(127);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    setpriority(PRIO_PROCESS, 0, 0);
    /* script_user: no supplementary groups, then the group, then the user; never run as
       someone else when a step fails. */
    if (d->has_user && (setgroups(0, NULL) != 0 || setgid(d->gid) != 0 || setuid(d->uid) != 0)) {
      log_line("error", "could not switch to the script's user: not running the down script", "script", d->argv[0], "error", strerror(errno), NULL);
      _exit(126);
    }
    execve(d->argv[0], d->argv, d->envp);
    log_line("error", "could not run the down script", "script", d->argv[0], "error", strerror(errno), NULL);
    _exit(127);
  }
  int status = 0;
  int timed_out = wait_script(pid, d->timeout_ms, &status);
  int ok = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  char number[16];
  if (WIFSIGNALED(status)) {
    snprintf(number, sizeof number, "#%d", WTERMSIG(status));
    log_line(ok ? "info" : "warn", timed_out ? "the down script was killed at its timeout" : "the down script was killed by a signal", "script", d->argv[0], "signal", number, NULL);
  } else {
    snprintf(number, sizeof number, "#%d", WEXITSTATUS(status));
    log_line(ok ? "info" : "warn", timed_out ? "the down script exited after its timeout" : "the down script exited", "script", d->argv[0], "status", number, NULL);
  }
  return ok ? 0 : 1;
}

static int run_down_scripts(void) {
  int failed = 0;
  for (int i = 0; i < down_committed_count; i++) failed |= run_down(&down_committed[i]);
  return failed;
}

int main(void) {
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  char *line = NULL;
  size_t capacity = 0;
  ssize_t length;
  while ((length = getline(&line, &capacity, stdin)) > 0) {
    /* Only EOF ends a line without its newline: one torn by the daemon's death, not taken. */
    if (line[length - 1] != '\n') break;
    line[length - 1] = '\0';
    if (strcmp(line, "done") == 0) return 0;
    if (length < LINE_MAX_LEN) take(line);
    else if (down_open) down_pending[down_pending_count - 1].broken = 1;
  }
  free(line);
  int failed = clean_up();
  return run_down_scripts() | failed;
}
