// carpd's raw-socket boundary: the only native code in the project (docs/development.md "Code principles", 11).
//
// Three socket kinds:
//   CarpSocket    - SOCK_RAW, IP protocol 112, bound to one interface, joined to the CARP group
//                   (224.0.0.18 / ff02::12). Receives through a libuv poll on the env's own loop
//                   and hands every datagram to JS as a fresh Buffer with its ancillary data.
//   PacketSocket  - AF_PACKET send-only socket for raw Ethernet frames (gratuitous ARP, unsolicited NA).
//   NetlinkSocket - AF_NETLINK datagram socket (rtnetlink requests and multicast events). Bytes
//                   only: every netlink message is encoded and decoded in TypeScript.
// and a few functions Node lacks: sendUnixDatagram for sd_notify(3) (no AF_UNIX SOCK_DGRAM),
// flockExclusive, abstractSocketPeer (SO_PEERCRED) and disableCoreDumps (prctl).
//
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: every N-API call is checked and failures become JS
// exceptions (synchronous calls) or error callbacks (the receive path). Nothing here aborts.
#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

namespace {

constexpr int kIpprotoCarp = 112;
// Bounded batch per poll callback, so a flood cannot starve timers (the advert and
// master-down timers run on the same loop).
constexpr int kMaxBatch = 64;
// Big enough for any IP datagram: a truncated packet would be misread, not just dropped.
constexpr size_t kReceiveBufferSize = 65536;

// An Error carrying Node's usual errno fields (code, errno, syscall), so JS can branch on code.
Napi::Value ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& detail = "") {
  const char* code = uv_err_name(uv_translate_sys_error(err));
  std::string message = std::string(syscall) + " " + code + " (" + strerror(err) + ")";
  if (!detail.empty()) message += ": " + detail;
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error.Value();
}

// Throws an errno error into JS; callers return an empty value right after.
void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& detail = "") {
  Napi::Value error = ErrnoError(env, err, syscall, detail);
  if (!error.IsEmpty()) napi_throw(env, error);
}

void ThrowType(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

// Resolves an interface name to its index; throws (and returns 0) when it does not exist.
unsigned ResolveInterface(Napi::Env env, Napi::Value value) {
  if (!value.IsString()) {
    ThrowType(env, "ifname must be a string");
    return 0;
  }
  std::string name = value.As<Napi::String>().Utf8Value();
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('\0') != std::string::npos) {
    ThrowType(env, "ifname must be 1 to 15 bytes without NUL");
    return 0;
  }
  unsigned index = if_nametoindex(name.c_str());
  if (index == 0) ThrowErrno(env, errno, "if_nametoindex", name);
  return index;
}

// setsockopt that throws on failure; returns false so callers can unwind.
bool SetOption(Napi::Env env, int fd, int level, int name, const void* value, socklen_t length,
               const char* what) {
  if (setsockopt(fd, level, name, value, length) == 0) return true;
  ThrowErrno(env, errno, "setsockopt", what);
  return false;
}

bool SetInt(Napi::Env env, int fd, int level, int name, int value, const char* what) {
  return SetOption(env, fd, level, name, &value, sizeof value, what);
}

// Makes `data` msg's one control message, in `control` (aligned, CMSG_SPACE(sizeof data) bytes).
template <typename T>
void SetOnlyControlMessage(msghdr* msg, char* control, int level, int type, const T& data) {
  msg->msg_control = control;
  cmsghdr* cmsg = reinterpret_cast<cmsghdr*>(control);
  cmsg->cmsg_level = level;
  cmsg->cmsg_type = type;
  cmsg->cmsg_len = CMSG_LEN(sizeof data);
  memcpy(CMSG_DATA(cmsg), &data, sizeof data);
  msg->msg_controllen = CMSG_SPACE(sizeof data);
}

// One named property of a constructor's options object, and where to put its value.
struct Option {
  const char* name;
  Napi::Value* value;
};

// Reads the options object (info[0]) of a socket constructor, each property in the order given.
// Returns false, with a JS exception pending, when there is no object or a getter throws.
bool ReadOptions(const Napi::CallbackInfo& info, std::initializer_list<Option> wanted) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowType(env, "options must be an object");
    return false;
  }
  Napi::Object options = info[0].As<Napi::Object>();
  for (const Option& option : wanted) *option.value = options.Get(option.name);
  return !env.IsExceptionPending();  // a throwing getter
}

// Opens and configures the CARP socket. Returns -1 (with a JS exception pending) on failure.
int OpenRawCarp(Napi::Env env, int family, unsigned ifindex, const std::string& ifname) {
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  kIpprotoCarp);
  if (fd < 0) {
    ThrowErrno(env, errno, "socket");
    return -1;
  }
  bool ok = SetOption(env, fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
                      static_cast<socklen_t>(ifname.size()), "SO_BINDTODEVICE");
  // Every group of the interface receives on this one socket. Masters that send their groups'
  // adverts in one wakeup (carpd does, to save CPU; so does keepalived) deliver them back to
  // back: 255 adverts are ~230 KB of socket buffers, past the default rmem (208 KiB), and the
  // tail of every burst would be dropped, the same groups each time. 1 MiB, best effort:
  // SO_RCVBUFFORCE needs CAP_NET_ADMIN, plain SO_RCVBUF is capped by net.core.rmem_max.
  int receiveBuffer = 1 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receiveBuffer, sizeof receiveBuffer) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
  }
  if (family == 4) {
    ip_mreqn group{};
    inet_pton(AF_INET, "224.0.0.18", &group.imr_multiaddr);
    group.imr_ifindex = static_cast<int>(ifindex);
    ok = ok && SetInt(env, fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO") &&
         SetInt(env, fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL") &&
         SetOption(env, fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &group, sizeof group, "IP_ADD_MEMBERSHIP") &&
         SetOption(env, fd, IPPROTO_IP, IP_MULTICAST_IF, &group, sizeof group, "IP_MULTICAST_IF") &&
         // IP_TTL does not apply to multicast, so both TTLs are set (RFC 5798 §5.1.1.3: 255).
         SetInt(env, fd, IPPROTO_IP, IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL") &&
         SetInt(env, fd, IPPROTO_IP, IP_TTL, 255, "IP_TTL") &&
         SetInt(env, fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP") &&
         // Without this, Linux delivers groups joined by any socket on the host to this one too.
         SetInt(env, fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL") &&
         // IPTOS_LOWDELAY and DF, as OpenBSD, FreeBSD and ucarp send adverts.
         SetInt(env, fd, IPPROTO_IP, IP_TOS, 0x10, "IP_TOS") &&
         SetInt(env, fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, "IP_MTU_DISCOVER");
  } else {
    ipv6_mreq group{};
    inet_pton(AF_INET6, "ff02::12", &group.ipv6mr_multiaddr);
    group.ipv6mr_interface = ifindex;
    int index = static_cast<int>(ifindex);
    // IPv6 raw sockets strip the header: the hop limit and destination only arrive as cmsgs.
    ok = ok && SetInt(env, fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO") &&
         SetInt(env, fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT") &&
         SetOption(env, fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &group, sizeof group, "IPV6_ADD_MEMBERSHIP") &&
         SetInt(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, index, "IPV6_MULTICAST_IF") &&
         SetInt(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS") &&
         SetInt(env, fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS") &&
         SetInt(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP") &&
         SetInt(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0, "IPV6_MULTICAST_ALL");
  }
  if (!ok) {
    close(fd);
    return -1;
  }
  return fd;
}

// libuv stops a uv_poll handle for good when epoll reports EPOLLERR, and calls back with
// UV_EBADF: that is how a pending socket error (sk_err) shows, e.g. ENOBUFS after a netlink
// overflow or an ICMP error on a raw socket. Neither is fatal for the socket. This fetches the
// real error (reading SO_ERROR clears it) and restarts the poll; returns the error, or 0 when
// the poll error was something else (then the caller reports `status` and stays stopped).
int RecoverPollError(int fd, uv_poll_t* poll, uv_poll_cb callback) {
  int err = 0;
  socklen_t length = sizeof err;
  if (fd < 0 || poll == nullptr || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &length) != 0 || err == 0) return 0;
  return uv_poll_start(poll, UV_READABLE, callback) == 0 ? err : 0;
}

// What CarpSocket and NetlinkSocket share: a non-blocking fd read through a libuv poll on the
// env's own loop, one callback for what is read and one for errors, and a teardown that is safe
// from a finalizer, a cleanup hook or JS. The derived class opens fd_, then calls StartReading,
// and supplies Drain(status), which the poll calls whenever fd_ is readable or has failed.
// CRTP, so that ObjectWrap wraps the derived class itself.
template <typename Derived>
class PolledSocket : public Napi::ObjectWrap<Derived> {
 public:
  explicit PolledSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Derived>(info), env_(info.Env()) {}

  ~PolledSocket() override { Shutdown(); }

 protected:
  // Polls fd_ and holds the callbacks; on failure tears down and throws.
  void StartReading(Napi::Env env, Napi::Function onReceive, Napi::Function onError) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      Shutdown();
      return ThrowType(env, "no libuv loop for this environment");
    }
    // Heap-allocated: uv_close finishes on a later loop turn, possibly after this object is
    // collected, so the handle frees itself in its close callback.
    poll_ = new uv_poll_t;
    int rc = uv_poll_init(loop, poll_, fd_);
    if (rc == 0) {
      poll_->data = static_cast<Derived*>(this);
      rc = uv_poll_start(poll_, UV_READABLE, OnReadable);
      if (rc != 0) uv_close(reinterpret_cast<uv_handle_t*>(poll_), FreePoll), poll_ = nullptr;
    } else {
      delete poll_;
      poll_ = nullptr;
    }
    if (rc != 0) {
      Shutdown();
      return ThrowErrno(env, -rc, "uv_poll_start");
    }
    onReceive_ = Napi::Persistent(onReceive);
    onError_ = Napi::Persistent(onError);
    // While open, JS may drop every reference and still expect data: hold ourselves.
    this->Ref();
    // Worker threads close their loop on exit and refuse to leave open handles.
    if (napi_add_env_cleanup_hook(env, CleanupHook, this) == napi_ok) cleanupHooked_ = true;
  }

  // Native-only teardown: safe from a finalizer, a cleanup hook or JS; idempotent.
  void Shutdown() {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      poll_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), FreePoll);
      poll_ = nullptr;
    }
    if (fd_ >= 0) close(fd_), fd_ = -1;
    if (cleanupHooked_) {
      napi_remove_env_cleanup_hook(env_, CleanupHook, this);
      cleanupHooked_ = false;
    }
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) {
      bool held = !onReceive_.IsEmpty();
      Shutdown();
      // Fine inside a callback: the running function stays alive on the JS stack.
      onReceive_.Reset();
      onError_.Reset();
      if (held) this->Unref();
    }
    return info.Env().Undefined();
  }

  Napi::Value RefLoop(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value UnrefLoop(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  // For Drain when the poll reports a failure (status < 0): reports the socket's pending error
  // as coming from `syscall` and returns true when reading may go on; otherwise reports the
  // poll's own error and returns false, the poll staying stopped (see RecoverPollError).
  bool RecoverFromPollFailure(int status, const char* syscall, const std::string& detail = "") {
    int err = RecoverPollError(fd_, poll_, OnReadable);
    if (err == 0) {
      Report(onError_, ErrnoError(env_, -status, "uv_poll"));
      return false;
    }
    return Report(onError_, ErrnoError(env_, err, syscall, detail));
  }

  // Calls a JS callback from the loop. A throw goes to Node's uncaught-exception path (as for
  // any event emitter); returns false then, or when the callback closed the socket.
  bool Report(Napi::FunctionReference& callback, Napi::Value argument, Napi::Value second = Napi::Value()) {
    Napi::Env env = env_;
    if (callback.IsEmpty() || argument.IsEmpty()) return false;
    if (second.IsEmpty()) callback.MakeCallback(this->Value(), {argument});
    else callback.MakeCallback(this->Value(), {argument, second});
    if (env.IsExceptionPending()) {
      Napi::Error error = env.GetAndClearPendingException();
      napi_fatal_exception(env, error.Value());
      return false;
    }
    return fd_ >= 0;
  }

  napi_env env_ = nullptr;
  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference onReceive_;
  Napi::FunctionReference onError_;

 private:
  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<Derived*>(handle->data);
    if (self != nullptr) self->Drain(status);
  }

  static void FreePoll(uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); }

  static void CleanupHook(void* self) {
    static_cast<PolledSocket*>(self)->cleanupHooked_ = false;
    static_cast<PolledSocket*>(self)->Shutdown();
  }

  bool cleanupHooked_ = false;
};

class CarpSocket : public PolledSocket<CarpSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    // The methods PolledSocket supplies take the runtime form: a template argument cannot
    // convert a base-class member pointer to a CarpSocket one.
    return DefineClass(env, "CarpSocket",
                       {InstanceMethod<&CarpSocket::Send>("send"),
                        InstanceMethod<&CarpSocket::BindSource>("bindSource"),
                        InstanceMethod("close", &CarpSocket::Close),
                        InstanceMethod("ref", &CarpSocket::RefLoop),
                        InstanceMethod("unref", &CarpSocket::UnrefLoop)});
  }

  // new CarpSocket({ family, ifname, onPacket, onError }); only openCarpSocket calls this.
  explicit CarpSocket(const Napi::CallbackInfo& info) : PolledSocket<CarpSocket>(info) { Open(info); }

 private:
  friend class PolledSocket<CarpSocket>;

  // The constructor's body; on failure a JS exception is pending and the object is discarded.
  void Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Value family, onPacket, onError;
    if (!ReadOptions(info, {{"family", &family}, {"onPacket", &onPacket}, {"onError", &onError}})) return;
    if (!family.IsNumber()) return ThrowType(env, "family must be 4 or 6");
    family_ = family.As<Napi::Number>().Int32Value();
    if (family_ != 4 && family_ != 6) return ThrowType(env, "family must be 4 or 6");
    if (!onPacket.IsFunction() || !onError.IsFunction()) {
      return ThrowType(env, "onPacket and onError must be functions");
    }
    // Read after the checks above, the order in which getters have always run.
    Napi::Value ifname;
    if (!ReadOptions(info, {{"ifname", &ifname}})) return;
    ifindex_ = ResolveInterface(env, ifname);
    if (ifindex_ == 0) return;
    fd_ = OpenRawCarp(env, family_, ifindex_, ifname.As<Napi::String>().Utf8Value());
    if (fd_ < 0) return;
    StartReading(env, onPacket.As<Napi::Function>(), onError.As<Napi::Function>());
  }

  // Parses a textual address of this socket's family into a sockaddr with the interface scope.
  bool ParseAddress(Napi::Env env, Napi::Value value, sockaddr_storage* out, socklen_t* length) {
    if (!value.IsString()) {
      ThrowType(env, "address must be a string");
      return false;
    }
    std::string text = value.As<Napi::String>().Utf8Value();
    *out = sockaddr_storage{};
    if (family_ == 4) {
      auto* sin = reinterpret_cast<sockaddr_in*>(out);
      sin->sin_family = AF_INET;
      *length = sizeof *sin;
      if (inet_pton(AF_INET, text.c_str(), &sin->sin_addr) == 1) return true;
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
      sin6->sin6_family = AF_INET6;
      // Link-local and link-scoped multicast need the scope; harmless for global addresses.
      sin6->sin6_scope_id = ifindex_;
      *length = sizeof *sin6;
      if (inet_pton(AF_INET6, text.c_str(), &sin6->sin6_addr) == 1) return true;
    }
    ThrowType(env, ("not an IPv" + std::to_string(family_) + " address: " + text).c_str());
    return false;
  }

  // send(payload, destination): the kernel adds the IP header. Throws on failure (EAGAIN,
  // ENETUNREACH ...); the TS adapter turns that into a reported error.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return ThrowErrno(env, EBADF, "sendmsg", "socket is closed"), env.Undefined();
    if (info.Length() < 2 || !info[0].IsBuffer()) return ThrowType(env, "payload must be a Buffer"), env.Undefined();
    sockaddr_storage to;
    socklen_t toLength = 0;
    if (!ParseAddress(env, info[1], &to, &toLength)) return env.Undefined();
    Napi::Buffer<uint8_t> payload = info[0].As<Napi::Buffer<uint8_t>>();
    iovec iov{payload.Data(), payload.Length()};
    msghdr msg{};
    msg.msg_name = &to;
    msg.msg_namelen = toLength;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    // The chosen source rides in a PKTINFO cmsg rather than bind(): a raw socket bound to a
    // unicast address only receives packets sent to that address, i.e. no group adverts.
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
    if (hasSource_) {
      if (family_ == 4) {
        in_pktinfo pktinfo{};
        pktinfo.ipi_spec_dst = reinterpret_cast<sockaddr_in*>(&source_)->sin_addr;
        SetOnlyControlMessage(&msg, control, IPPROTO_IP, IP_PKTINFO, pktinfo);
      } else {
        in6_pktinfo pktinfo{};
        pktinfo.ipi6_addr = reinterpret_cast<sockaddr_in6*>(&source_)->sin6_addr;
        SetOnlyControlMessage(&msg, control, IPPROTO_IPV6, IPV6_PKTINFO, pktinfo);
      }
    }
    if (sendmsg(fd_, &msg, 0) < 0) ThrowErrno(env, errno, "sendmsg", value_text(info[1]));
    return env.Undefined();
  }

  static std::string value_text(Napi::Value value) { return value.As<Napi::String>().Utf8Value(); }

  // bindSource(address): the source address for later sends (see Send for why not bind()).
  Napi::Value BindSource(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    socklen_t length = 0;
    if (ParseAddress(env, info.Length() > 0 ? info[0] : env.Undefined(), &source_, &length)) hasSource_ = true;
    return env.Undefined();
  }

  // Reads up to kMaxBatch datagrams; the rest wait for the next loop turn.
  void Drain(int status) {
    Napi::Env env = env_;
    Napi::HandleScope scope(env);
    if (status < 0 && !RecoverFromPollFailure(status, "recvmsg")) return;
    // Per thread (worker threads each have a loop); copied out before any JS runs.
    static thread_local uint8_t buffer[kReceiveBufferSize];
    for (int i = 0; i < kMaxBatch && fd_ >= 0; i++) {
      sockaddr_storage from{};
      alignas(cmsghdr) char control[256];
      iovec iov{buffer, sizeof buffer};
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = recvmsg(fd_, &msg, 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR) continue;
        if (!Report(onError_, ErrnoError(env, errno, "recvmsg"))) return;
        continue;
      }
      Napi::Object packet = Describe(env, &msg, static_cast<size_t>(n));
      if (packet.IsEmpty() || !Report(onReceive_, packet)) return;
    }
  }

  // Builds { data, ifindex, ttl } (IPv4) or { data, source, destination, hopLimit, ifindex } (IPv6).
  Napi::Object Describe(Napi::Env env, msghdr* msg, size_t length) {
    Napi::Object packet = Napi::Object::New(env);
    if (packet.IsEmpty()) return packet;
    auto* data = static_cast<uint8_t*>(msg->msg_iov[0].iov_base);
    // Fresh copy per packet: JS may keep it while the next recvmsg reuses the buffer.
    packet.Set("data", Napi::Buffer<uint8_t>::Copy(env, data, length));
    packet.Set("truncated", Napi::Boolean::New(env, (msg->msg_flags & MSG_TRUNC) != 0));
    for (cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info;
        memcpy(&info, CMSG_DATA(c), sizeof info);
        packet.Set("ifindex", Napi::Number::New(env, info.ipi_ifindex));
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
        int ttl;
        memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
        packet.Set("ttl", Napi::Number::New(env, ttl));
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info;
        memcpy(&info, CMSG_DATA(c), sizeof info);
        packet.Set("destination", Napi::Buffer<uint8_t>::Copy(env, info.ipi6_addr.s6_addr, 16));
        packet.Set("ifindex", Napi::Number::New(env, info.ipi6_ifindex));
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
        int hops;
        memcpy(&hops, CMSG_DATA(c), sizeof hops);
        packet.Set("hopLimit", Napi::Number::New(env, hops));
      }
    }
    if (family_ == 6 && msg->msg_namelen >= sizeof(sockaddr_in6)) {
      auto* from = static_cast<sockaddr_in6*>(msg->msg_name);
      packet.Set("source", Napi::Buffer<uint8_t>::Copy(env, from->sin6_addr.s6_addr, 16));
    }
    return packet;
  }

  int family_ = 4;
  unsigned ifindex_ = 0;
  bool hasSource_ = false;
  sockaddr_storage source_{};
};

// AF_PACKET send-only socket. Protocol 0 binds no ethertype, so the kernel queues nothing to it.
class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PacketSocket",
                       {InstanceMethod<&PacketSocket::SendFrame>("sendFrame"),
                        InstanceMethod<&PacketSocket::Close>("close")});
  }

  explicit PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) { Open(info); }

  // No loop handle and no callbacks: an unreferenced socket may be collected; the fd goes with it.
  ~PacketSocket() override {
    if (fd_ >= 0) close(fd_);
  }

 private:
  void Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    unsigned ifindex = ResolveInterface(env, info.Length() > 0 ? info[0] : env.Undefined());
    if (ifindex == 0) return;
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return ThrowErrno(env, errno, "socket", "AF_PACKET");
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_ifindex = static_cast<int>(ifindex);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      int err = errno;
      close(fd_), fd_ = -1;
      return ThrowErrno(env, err, "bind", "AF_PACKET");
    }
  }

  Napi::Value SendFrame(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return ThrowErrno(env, EBADF, "send", "socket is closed"), env.Undefined();
    if (info.Length() < 1 || !info[0].IsBuffer()) return ThrowType(env, "frame must be a Buffer"), env.Undefined();
    Napi::Buffer<uint8_t> frame = info[0].As<Napi::Buffer<uint8_t>>();
    if (send(fd_, frame.Data(), frame.Length(), 0) < 0) ThrowErrno(env, errno, "send", "AF_PACKET");
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) close(fd_), fd_ = -1;
    return info.Env().Undefined();
  }

  int fd_ = -1;
};

// Netlink socket: one datagram in, one Buffer out (with the sender's port id). Requests and
// events are plain bytes here.
//
// Overflow: when the kernel drops a multicast event because the receive queue is full, the next
// recv fails with ENOBUFS (NETLINK_NO_ENOBUFS is kept off so that this is reported). That is
// not fatal: it goes to onError with code 'ENOBUFS' and reading continues; the JS side then
// re-reads the state it mirrors.
class NetlinkSocket : public PolledSocket<NetlinkSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NetlinkSocket",
                       {InstanceMethod<&NetlinkSocket::Send>("send"),
                        InstanceMethod("close", &NetlinkSocket::Close),
                        InstanceMethod("ref", &NetlinkSocket::RefLoop),
                        InstanceMethod("unref", &NetlinkSocket::UnrefLoop),
                        InstanceMethod<&NetlinkSocket::SetReceiveBufferSize>("setReceiveBufferSize")});
  }

  // new NetlinkSocket({ protocol, groups, onMessage, onError }); only openNetlinkSocket calls this.
  explicit NetlinkSocket(const Napi::CallbackInfo& info) : PolledSocket<NetlinkSocket>(info) { Open(info); }

 private:
  friend class PolledSocket<NetlinkSocket>;

  // Events can arrive in bursts (every link and address of a busy host): start big.
  static constexpr int kDefaultReceiveBuffer = 4 * 1024 * 1024;

  void Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Value protocol, groups, onMessage, onError;
    if (!ReadOptions(info, {{"protocol", &protocol}, {"groups", &groups}, {"onMessage", &onMessage}, {"onError", &onError}})) {
      return;
    }
    if (!protocol.IsNumber()) return ThrowType(env, "protocol must be a number (NETLINK_ROUTE = 0)");
    if (!groups.IsNumber() && !groups.IsUndefined()) return ThrowType(env, "groups must be a number");
    if (!onMessage.IsFunction() || !onError.IsFunction()) {
      return ThrowType(env, "onMessage and onError must be functions");
    }
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol.As<Napi::Number>().Int32Value());
    if (fd_ < 0) return ThrowErrno(env, errno, "socket", "AF_NETLINK");
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    local.nl_groups = groups.IsNumber() ? groups.As<Napi::Number>().Uint32Value() : 0;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      int err = errno;
      Shutdown();
      return ThrowErrno(env, err, "bind", "AF_NETLINK");
    }
    // Off is the kernel default; set explicitly because the overflow report is relied upon.
    int off = 0;
    setsockopt(fd_, SOL_NETLINK, NETLINK_NO_ENOBUFS, &off, sizeof off);
    // Extended acks carry the kernel's error text ("Unknown device type" ...); best effort.
    int on = 1;
    setsockopt(fd_, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
    if (!ApplyReceiveBufferSize(env, kDefaultReceiveBuffer)) return Shutdown();
    StartReading(env, onMessage.As<Napi::Function>(), onError.As<Napi::Function>());
  }

  // SO_RCVBUFFORCE (CAP_NET_ADMIN) may exceed net.core.rmem_max; plain SO_RCVBUF is capped by it.
  bool ApplyReceiveBufferSize(Napi::Env env, int bytes) {
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0) return true;
    return SetInt(env, fd_, SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF");
  }

  Napi::Value SetReceiveBufferSize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return ThrowErrno(env, EBADF, "setsockopt", "socket is closed"), env.Undefined();
    if (info.Length() < 1 || !info[0].IsNumber()) return ThrowType(env, "bytes must be a number"), env.Undefined();
    int64_t bytes = info[0].As<Napi::Number>().Int64Value();
    if (bytes < 4096 || bytes > (1LL << 30)) return ThrowType(env, "bytes must be 4096 to 2^30"), env.Undefined();
    ApplyReceiveBufferSize(env, static_cast<int>(bytes));
    return env.Undefined();
  }

  // send(message): one datagram to the kernel (port 0). Throws NativeError (EAGAIN, ENOBUFS ...).
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return ThrowErrno(env, EBADF, "sendto", "socket is closed"), env.Undefined();
    if (info.Length() < 1 || !info[0].IsBuffer()) return ThrowType(env, "message must be a Buffer"), env.Undefined();
    Napi::Buffer<uint8_t> message = info[0].As<Napi::Buffer<uint8_t>>();
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t n;
    do {
      n = sendto(fd_, message.Data(), message.Length(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    } while (n < 0 && errno == EINTR);
    if (n < 0) ThrowErrno(env, errno, "sendto", "AF_NETLINK");
    return env.Undefined();
  }

  // Reads up to kMaxBatch datagrams; the rest wait for the next loop turn.
  void Drain(int status) {
    Napi::Env env = env_;
    Napi::HandleScope scope(env);
    // ENOBUFS arrives this way when the overflow is noticed by epoll before recv sees it.
    if (status < 0 && !RecoverFromPollFailure(status, "recv", "AF_NETLINK")) return;
    static thread_local uint8_t buffer[kReceiveBufferSize];
    for (int i = 0; i < kMaxBatch && fd_ >= 0; i++) {
      // MSG_TRUNC makes recv return the datagram's real length, so truncation is detected
      // rather than half a message handed on. The kernel builds dump datagrams of at most
      // 32 KiB, so 64 KiB never truncates in practice.
      // The sender's port: 0 is the kernel; any other is a process, which may forge events or
      // acks (issue 18). JS drops those (route-netlink.ts); the port is handed on with the bytes.
      sockaddr_nl from{};
      socklen_t fromLength = sizeof from;
      ssize_t n = recvfrom(fd_, buffer, sizeof buffer, MSG_TRUNC, reinterpret_cast<sockaddr*>(&from), &fromLength);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR) continue;
        // ENOBUFS included: events were lost, the socket itself is fine.
        if (!Report(onError_, ErrnoError(env, errno, "recv", "AF_NETLINK"))) return;
        continue;
      }
      if (static_cast<size_t>(n) > sizeof buffer) {
        if (!Report(onError_, ErrnoError(env, EMSGSIZE, "recv", std::to_string(n) + " byte netlink datagram truncated"))) return;
        continue;
      }
      // Fresh copy per datagram: JS may keep it while the next recv reuses the buffer.
      Napi::Value data = Napi::Buffer<uint8_t>::Copy(env, buffer, static_cast<size_t>(n));
      if (!Report(onReceive_, data, Napi::Number::New(env, from.nl_pid))) return;
    }
  }
};

// A one-shot timer with microsecond precision: a timerfd on CLOCK_MONOTONIC (the clock of
// performance.now() and process.hrtime), polled on the env's loop. Node's own timers count in
// whole milliseconds of a loop time cached at the start of each turn, so they fire up to about a
// millisecond early or late; a master's adverts would carry that jitter. Only the wakeup is
// native: what runs, and when, stays in JS (SystemClock).
class PreciseTimer : public PolledSocket<PreciseTimer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PreciseTimer",
                       {InstanceMethod<&PreciseTimer::Arm>("arm"),
                        InstanceMethod<&PreciseTimer::Disarm>("disarm"),
                        InstanceMethod("close", &PreciseTimer::Close),
                        InstanceMethod("ref", &PreciseTimer::RefLoop),
                        InstanceMethod("unref", &PreciseTimer::UnrefLoop)});
  }

  // new PreciseTimer({ onFire, onError }); only openPreciseTimer calls this.
  explicit PreciseTimer(const Napi::CallbackInfo& info) : PolledSocket<PreciseTimer>(info) { Open(info); }

 private:
  friend class PolledSocket<PreciseTimer>;

  void Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Value onFire, onError;
    if (!ReadOptions(info, {{"onFire", &onFire}, {"onError", &onError}})) return;
    if (!onFire.IsFunction() || !onError.IsFunction()) return ThrowType(env, "onFire and onError must be functions");
    fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd_ < 0) return ThrowErrno(env, errno, "timerfd_create");
    StartReading(env, onFire.As<Napi::Function>(), onError.As<Napi::Function>());
  }

  // arm(delayMicros): fires once, that long from now (at least 1 µs); re-arming replaces it.
  Napi::Value Arm(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return ThrowErrno(env, EBADF, "timerfd_settime", "timer is closed"), env.Undefined();
    if (info.Length() < 1 || !info[0].IsNumber()) return ThrowType(env, "delayMicros must be a number"), env.Undefined();
    double delay = info[0].As<Napi::Number>().DoubleValue();
    // NaN and anything below 1 µs fire at once; a year is the most anyone asks for.
    if (!(delay >= 1)) delay = 1;
    if (delay > 365.0 * 86400 * 1e6) delay = 365.0 * 86400 * 1e6;
    auto micros = static_cast<int64_t>(delay);
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(micros / 1000000);
    spec.it_value.tv_nsec = static_cast<long>((micros % 1000000) * 1000);
    if (timerfd_settime(fd_, 0, &spec, nullptr) != 0) ThrowErrno(env, errno, "timerfd_settime");
    return env.Undefined();
  }

  // disarm(): nothing fires until armed again.
  Napi::Value Disarm(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return env.Undefined();
    itimerspec spec{};
    if (timerfd_settime(fd_, 0, &spec, nullptr) != 0) ThrowErrno(env, errno, "timerfd_settime");
    return env.Undefined();
  }

  void Drain(int status) {
    Napi::HandleScope scope(env_);
    if (status < 0) {
      Report(onError_, ErrnoError(env_, -status, "uv_poll"));
      return;
    }
    uint64_t expirations = 0;
    ssize_t n;
    do {
      n = read(fd_, &expirations, sizeof expirations);
    } while (n < 0 && errno == EINTR);
    // EAGAIN: disarmed or re-armed after the poll saw it readable; nothing is due.
    if (n < 0) {
      if (errno != EAGAIN) Report(onError_, ErrnoError(env_, errno, "read", "timerfd"));
      return;
    }
    Report(onReceive_, Napi::Number::New(env_, static_cast<double>(expirations)));
  }
};

// Constructors stay private to the addon: JS gets factory functions.
struct AddonData {
  Napi::FunctionReference carpSocket;
  Napi::FunctionReference packetSocket;
  Napi::FunctionReference netlinkSocket;
  Napi::FunctionReference preciseTimer;
};

Napi::Value Construct(const Napi::CallbackInfo& info, Napi::FunctionReference AddonData::*which) {
  auto* data = info.Env().GetInstanceData<AddonData>();
  std::vector<napi_value> args(info.Length());
  for (size_t i = 0; i < info.Length(); i++) args[i] = info[i];
  Napi::Object object = (data->*which).New(args);
  return object.IsEmpty() ? info.Env().Undefined() : Napi::Value(object);
}

Napi::Value OpenCarpSocket(const Napi::CallbackInfo& info) { return Construct(info, &AddonData::carpSocket); }
Napi::Value OpenPacketSocket(const Napi::CallbackInfo& info) { return Construct(info, &AddonData::packetSocket); }
Napi::Value OpenNetlinkSocket(const Napi::CallbackInfo& info) { return Construct(info, &AddonData::netlinkSocket); }
Napi::Value OpenPreciseTimer(const Napi::CallbackInfo& info) { return Construct(info, &AddonData::preciseTimer); }

// sendUnixDatagram(path, data): one AF_UNIX SOCK_DGRAM sendto, as sd_notify(3) does. A path
// starting with '@' names an abstract socket: the '@' becomes a NUL byte and the address length
// is exact (abstract names are not NUL-terminated). Throws an errno error; never aborts.
Napi::Value SendUnixDatagram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBuffer()) {
    ThrowType(env, "sendUnixDatagram(path: string, data: Buffer)");
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Buffer<char> data = info[1].As<Napi::Buffer<char>>();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  bool abstract = !path.empty() && path[0] == '@';
  // A filesystem path needs room for its terminating NUL; an abstract name does not.
  if (path.empty() || path.size() > sizeof address.sun_path - (abstract ? 0 : 1) ||
      (!abstract && path.find('\0') != std::string::npos)) {
    ThrowErrno(env, EINVAL, "sendto", "bad AF_UNIX path");
    return env.Undefined();
  }
  memcpy(address.sun_path, path.data(), path.size());
  if (abstract) address.sun_path[0] = '\0';
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ThrowErrno(env, errno, "socket", "AF_UNIX");
    return env.Undefined();
  }
  ssize_t n = sendto(fd, data.Data(), data.Length(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&address), length);
  int err = errno;
  close(fd);
  if (n < 0) ThrowErrno(env, err, "sendto", path);
  return env.Undefined();
}

// flockExclusive(fd): flock(fd, LOCK_EX | LOCK_NB), the instance lock on the state directory
// (Node has no flock). Returns true when this process now holds the lock, false when another
// open file description holds it (EWOULDBLOCK); other failures throw an errno error. The lock
// lives as long as the descriptor: it goes with the process, also on SIGKILL.
Napi::Value FlockExclusive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowType(env, "flockExclusive(fd: number)");
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) return Napi::Boolean::New(env, true);
  if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
  ThrowErrno(env, errno, "flock");
  return env.Undefined();
}

// abstractSocketPeer(name): who listens on the abstract AF_UNIX stream socket `name` (without
// the leading NUL): { pid, uid, gid } by SO_PEERCRED (the listener's credentials when it called
// listen()), or null when nothing there accepts a stream connection (ECONNREFUSED: bound but
// not listening, or nothing bound; EPROTOTYPE: another socket type; EAGAIN: its backlog is full).
// The instance lock uses it to tell another carpd from a local user squatting the name. Node 20
// binds an abstract name with the whole sun_path as its address (NUL-padded: the kernel sees
// those NULs as part of the name), other programs with the exact length: both are tried. The
// connection is closed at once; the listener sees a client that said nothing.
Napi::Value AbstractSocketPeer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowType(env, "abstractSocketPeer(name: string)");
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (name.empty() || name.size() > sizeof address.sun_path - 1) {
    ThrowErrno(env, EINVAL, "connect", "bad abstract socket name");
    return env.Undefined();
  }
  memcpy(address.sun_path + 1, name.data(), name.size());
  const socklen_t lengths[] = {static_cast<socklen_t>(sizeof address), static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())};
  for (socklen_t length : lengths) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ThrowErrno(env, errno, "socket", "AF_UNIX");
      return env.Undefined();
    }
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
      int err = errno;
      close(fd);
      if (err == ECONNREFUSED || err == EPROTOTYPE || err == EAGAIN) continue;
      ThrowErrno(env, err, "connect", name);
      return env.Undefined();
    }
    ucred credentials{};
    socklen_t size = sizeof credentials;
    int rc = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size);
    int err = errno;
    close(fd);
    if (rc != 0) {
      ThrowErrno(env, err, "getsockopt", "SO_PEERCRED");
      return env.Undefined();
    }
    Napi::Object peer = Napi::Object::New(env);
    peer.Set("pid", Napi::Number::New(env, credentials.pid));
    peer.Set("uid", Napi::Number::New(env, credentials.uid));
    peer.Set("gid", Napi::Number::New(env, credentials.gid));
    return peer;
  }
  return env.Null();
}

// disableCoreDumps(): RLIMIT_CORE 0 and PR_SET_DUMPABLE 0, so that no core file (nor a
// core_pattern pipe, which ignores RLIMIT_CORE) ever receives the daemon's memory, which holds
// every group's key; not dumpable also means other processes of the same user cannot ptrace it.
// Both are per process: a script started later has its own (execve resets the dumpable flag;
// the zero core limit is inherited). Throws an errno error.
Napi::Value DisableCoreDumps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rlimit none{0, 0};
  if (setrlimit(RLIMIT_CORE, &none) != 0) {
    ThrowErrno(env, errno, "setrlimit", "RLIMIT_CORE");
    return env.Undefined();
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    ThrowErrno(env, errno, "prctl", "PR_SET_DUMPABLE");
    return env.Undefined();
  }
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData{Napi::Persistent(CarpSocket::Define(env)), Napi::Persistent(PacketSocket::Define(env)),
                             Napi::Persistent(NetlinkSocket::Define(env)), Napi::Persistent(PreciseTimer::Define(env))};
  env.SetInstanceData(data);  // deleted by node-addon-api when the env goes away
  exports.Set("openCarpSocket", Napi::Function::New<OpenCarpSocket>(env, "openCarpSocket"));
  exports.Set("openPacketSocket", Napi::Function::New<OpenPacketSocket>(env, "openPacketSocket"));
  exports.Set("openNetlinkSocket", Napi::Function::New<OpenNetlinkSocket>(env, "openNetlinkSocket"));
  exports.Set("openPreciseTimer", Napi::Function::New<OpenPreciseTimer>(env, "openPreciseTimer"));
  exports.Set("sendUnixDatagram", Napi::Function::New<SendUnixDatagram>(env, "sendUnixDatagram"));
  exports.Set("flockExclusive", Napi::Function::New<FlockExclusive>(env, "flockExclusive"));
  exports.Set("abstractSocketPeer", Napi::Function::New<AbstractSocketPeer>(env, "abstractSocketPeer"));
  exports.Set("disableCoreDumps", Napi::Function::New<DisableCoreDumps>(env, "disableCoreDumps"));
  return exports;
}

}  // namespace

NODE_API_MODULE(carp_socket, Init)
