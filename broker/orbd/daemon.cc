// RunDaemon (orb/broker/daemon.h): orbd's flags and behaviour, for orbd
// and for programs that serve their own types.
//
//   orbd --listen=127.0.0.1:50051 --service=blog --policy=examples/blog/policy.textproto
//
// Startup errors are one line on stderr and exit 1. SIGINT/SIGTERM drain the
// calls in flight and exit 0. SIGHUP reloads the policy file (an invalid
// file, or one whose revision goes backwards, is refused with its errors
// logged and the running policy keeps serving). docs/operations.md is the
// operator's reference.
#include <signal.h>
#include <stdio.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <atomic>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "orb/broker/broker_core.h"
#include "orb/broker/audit.h"
#include "broker/metrics/broker_collector.h"
#include "broker/metrics/metrics_address.h"
#include "broker/metrics/metrics_server.h"
#include "broker/orbd/flags_help.h"
#include "broker/orbd/plugin_loader.h"
#include "broker/orbd/service_manager.h"
#include "orb/broker/daemon.h"
#include "broker/broker_identity.h"
#include "broker/policy_reloader.h"
#include "broker/service/grpc_log_limit.h"
#include "broker/service/rpc_stats.h"
#include "orb/broker/server.h"
#include "grpc/support/log.h"
#include "orb/policy/policy_loader.h"
#include "orb/policy/served_check.h"
#include "broker/served_types.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to listen on (port 0 picks a free port)");
ABSL_FLAG(std::string, service, "",
          "the service to serve (the program's services are listed above; default: the first)");
ABSL_FLAG(std::string, policy, "", "the policy file (text-format orb.v1.Policy); required");
ABSL_FLAG(std::string, shadow_policy, "",
          "also decide every gated operation under this policy file, never changing the "
          "answer: disagreements are counted and audited (event \"shadow\"); reloaded with "
          "--policy");
ABSL_FLAG(std::string, broker_id, "",
          "this broker's public name behind a proxy (docs/scale-out.md): the prefix of every "
          "session id and what clients send as orb-route; 1-63 of [A-Za-z0-9._-] (default: "
          "orbd- and 6 random hex digits)");
ABSL_FLAG(bool, debug_authorization, false,
          "log every authorization decision with Pyramid's message (never credentials)");
ABSL_FLAG(std::string, tls_cert, "", "server certificate (PEM); enables TLS with --tls-key");
ABSL_FLAG(std::string, tls_key, "", "server private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca, "", "CA (PEM) that verifies client certificates");
ABSL_FLAG(bool, tls_require_client_cert, false,
          "refuse clients without a certificate signed by --tls-client-ca (mTLS)");
ABSL_FLAG(double, shutdown_grace_seconds, 5.0,
          "how long calls in flight may run after SIGTERM/SIGINT");
ABSL_FLAG(int32_t, member_threads, 256,
          "most threads running bound members at once (0: run them on gRPC's threads)");
ABSL_FLAG(std::string, audit_log, "",
          "append one JSON line per authorization decision to this file ('-': stderr)");
ABSL_FLAG(bool, strict_policy, false,
          "refuse to start (and refuse a reload) when the policy does not fit the served "
          "types: a type no one serves, an OLP name no member has, a permission no lock asks "
          "for, a principal nobody holds (without it these are warnings)");
ABSL_FLAG(std::vector<std::string>, plugin, {},
          "load a plugin: a shared library built with orb_add_plugin whose services join "
          "those --service picks from (repeat the flag for several)");
ABSL_FLAG(std::string, metrics_listen, "",
          "serve Prometheus metrics at http://ADDRESS/metrics: PORT or :PORT listens on "
          "127.0.0.1, IPV4:PORT elsewhere (port 0 picks a free port); off when empty");
ABSL_FLAG(std::string, dump_types, "",
          "write the served types (members, kinds, compiled-in OLP) as JSON to this file "
          "('-': stdout) and exit, for `orbctl policy check --types=FILE`");

namespace {

// The program's name (argv[0] without its folder), which starts every log
// line: "orbd" for orbd.
const std::string& Program() {
  static const std::string* const name = new std::string("orbd");
  return *name;
}
std::string* MutableProgram() { return const_cast<std::string*>(&Program()); }

std::string ServiceNames(const std::vector<orb::broker::DaemonService>& services) {
  std::vector<std::string> names;
  for (const orb::broker::DaemonService& s : services) names.push_back(s.name);
  return absl::StrJoin(names, ", ");
}


// gRPC logs its own multi-line account of a failed bind; during startup
// orbd reports failures itself in one line, so gRPC's lines are held back
// until the server is up. Once serving, a failed TLS handshake is logged at
// most once a minute per peer and cause (broker/service/grpc_log_limit.h):
// anyone who can connect could otherwise fill the log.
std::atomic<bool> g_started{false};
void GrpcLog(gpr_log_func_args* args) {
  if (!g_started.load(std::memory_order_relaxed)) return;
  static orb::broker::GrpcLogLimit* const limit = new orb::broker::GrpcLogLimit();
  const std::optional<std::string> line = limit->Filter(args->message, absl::Now());
  if (!line.has_value()) return;
  fprintf(stderr, "%s: grpc %s: %s\n", Program().c_str(), gpr_log_severity_string(args->severity),
          line->c_str());
}

// Abseil flags are spelled with underscores; operators write dashes
// (--tls-cert, as the messages and docs do). Both are accepted: a flag's
// name has its dashes turned into underscores before parsing (values are
// left alone, and "--" ends the flags).
std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& arg = args[i];
    if (arg == "--") break;
    if (arg.size() < 3 || arg[0] != '-') continue;
    const size_t start = arg[1] == '-' ? 2 : 1;
    const size_t end = std::min(arg.find('='), arg.size());
    for (size_t j = start; j < end; ++j) {
      if (arg[j] == '-') arg[j] = '_';
    }
  }
  return args;
}

std::string UsageHead(const std::vector<orb::broker::DaemonService>& services) {
  const std::string& p = Program();
  return absl::StrCat("usage: ", p, " --policy=FILE [flags]\n\n",
                      "Serves live C++ objects over gRPC, every operation gated by the policy "
                      "file.\n\n  ",
                      p, " --listen=127.0.0.1:50051 --service=", services.front().name,
                      " --policy=policy.textproto\n\nServices: ", ServiceNames(services),
                      " (the first is the default).\n\n",
                      "Flags (--tls-cert and --tls_cert are the same flag):\n");
}
constexpr char kUsageTail[] =
    "\n"
    "SIGTERM or SIGINT drains the calls in flight and exits 0; SIGHUP reloads the\n"
    "policy file. Startup errors are one line on stderr and exit 1.\n"
    "docs/operations.md is the operator's reference.\n";

// The policy checked against the served types: each finding logged as a
// warning, or (strict) returned as one error listing them all.
absl::Status CheckPolicy(const orb::policy::CompiledPolicy& policy,
                         const orb::v1::ServedTypes& served, bool strict) {
  const std::vector<orb::policy::PolicyError> found =
      orb::policy::CheckAgainstServed(policy.text(), policy.file(), served);
  if (found.empty()) return absl::OkStatus();
  std::vector<std::string> lines;
  for (const orb::policy::PolicyError& f : found) lines.push_back(f.ToString());
  if (strict) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the policy does not fit the served types (--strict-policy):\n",
        absl::StrJoin(lines, "\n")));
  }
  for (const std::string& line : lines) fprintf(stderr, "%s: warning: %s\n", Program().c_str(), line.c_str());
  fflush(stderr);
  return absl::OkStatus();
}

// The service --service names (the first one when it is empty). Errors:
// NOT_FOUND naming the services there are.
absl::StatusOr<const orb::broker::DaemonService*> FindService(
    const std::vector<orb::broker::DaemonService>& services, const std::string& name) {
  if (name.empty()) return &services.front();
  for (const orb::broker::DaemonService& s : services) {
    if (s.name == name) return &s;
  }
  return absl::NotFoundError(absl::StrCat("unknown service '", name, "'; known services: ",
                                          ServiceNames(services)));
}

// The types and root of `service`, registered in a registry of their own.
struct Served {
  std::shared_ptr<orb::broker::TypeRegistry> registry;
  std::shared_ptr<orb::broker::Object> root;
};
absl::StatusOr<Served> Build(const orb::broker::DaemonService& service) {
  Served served;
  served.registry = std::make_shared<orb::broker::TypeRegistry>();
  if (service.register_types) {
    absl::Status registered = orb::orbd::RegisterServiceTypes(service, *served.registry);
    if (!registered.ok()) {
      return absl::Status(registered.code(), absl::StrCat("service '", service.name,
                                                          "': ", registered.message()));
    }
  }
  if (service.make_root) {
    try {
      served.root = service.make_root();
    } catch (const std::exception& e) {
      return absl::InternalError(
          absl::StrCat("service '", service.name, "': making its root object threw: ", e.what()));
    } catch (...) {
      return absl::InternalError(absl::StrCat(
          "service '", service.name, "': making its root object threw a non-standard exception"));
    }
  }
  if (served.root == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("service '", service.name, "' made no root object"));
  }
  return served;
}

[[noreturn]] void Fail(const std::string& message) {
  fprintf(stderr, "%s: %s\n", Program().c_str(), message.c_str());
  fflush(stderr);
  std::exit(1);
}

// Takes the --plugin flags out of `args`, loads each plugin and adds its
// services to `services`; any failure ends the program before it serves.
void LoadPlugins(std::vector<std::string>& args,
                 std::vector<orb::broker::DaemonService>& services) {
  absl::StatusOr<std::vector<std::string>> paths = orb::orbd::TakePluginFlags(args);
  if (!paths.ok()) Fail(std::string(paths.status().message()));
  std::vector<orb::orbd::LoadedPlugin> plugins;
  for (const std::string& path : *paths) {
    absl::StatusOr<orb::orbd::LoadedPlugin> loaded =
        orb::orbd::LoadPlugin(path, [](const std::string& line) {
          fprintf(stderr, "%s: %s\n", Program().c_str(), line.c_str());
          fflush(stderr);
        });
    if (!loaded.ok()) Fail(std::string(loaded.status().message()));
    plugins.push_back(*std::move(loaded));
  }
  if (absl::Status added = orb::orbd::AddPluginServices(plugins, services); !added.ok()) {
    Fail(std::string(added.message()));
  }
}

}  // namespace

namespace orb::broker {

int RunDaemon(int argc, char** argv, std::vector<DaemonService> services) {
  if (argc > 0 && argv[0] != nullptr) {
    const std::string path = argv[0];
    const size_t slash = path.rfind('/');
    *MutableProgram() = slash == std::string::npos ? path : path.substr(slash + 1);
  }
  if (services.empty()) Fail("the program offers no service to serve");
  absl::SetProgramUsageMessage("serves live C++ objects over gRPC (see --help)");
  std::vector<std::string> args = NormalizeFlagNames(argc, argv);
  LoadPlugins(args, services);
  if (orb::orbd::WantsHelp(args)) {
    const std::map<std::string, std::string> placeholders = {
        {"listen", "HOST:PORT"}, {"service", "NAME"},     {"policy", "FILE"},
        {"tls_cert", "FILE"},    {"tls_key", "FILE"},     {"tls_client_ca", "FILE"},
        {"audit_log", "FILE"},   {"shutdown_grace_seconds", "SECONDS"},
        {"dump_types", "FILE"},  {"plugin", "PATH"},        {"shadow_policy", "FILE"},
        {"metrics_listen", "ADDRESS"}, {"broker_id", "NAME"},
    };
    printf("%s%s%s", UsageHead(services).c_str(),
           orb::orbd::FlagsHelp("orbd/daemon.cc", placeholders).c_str(), kUsageTail);
    return 0;
  }
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  // Debian's Abseil is built without NDEBUG, which leaves absl::Mutex's
  // deadlock detection on: every lock and unlock then updates a global lock
  // graph, which costs more than the broker's own work per call and is a
  // contention point between calls (docs/performance.md). The tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Signals are taken synchronously by the main thread: block them before
  // any gRPC thread starts, so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (const std::string dump = absl::GetFlag(FLAGS_dump_types); !dump.empty()) {
    absl::StatusOr<const DaemonService*> service =
        FindService(services, absl::GetFlag(FLAGS_service));
    if (!service.ok()) Fail(std::string(service.status().message()));
    absl::StatusOr<Served> built = Build(**service);
    if (!built.ok()) Fail(std::string(built.status().message()));
    const std::string json =
        orb::policy::ServedTypesToJson(orb::broker::ServedTypesOf(*built->registry));
    FILE* out = dump == "-" ? stdout : fopen(dump.c_str(), "w");
    if (out == nullptr) Fail(absl::StrCat("--dump-types: cannot write ", dump));
    const bool written = fwrite(json.data(), 1, json.size(), out) == json.size();
    if ((out == stdout ? fflush(out) : fclose(out)) != 0 || !written) {
      Fail(absl::StrCat("--dump-types: cannot write ", dump));
    }
    return 0;
  }

  const std::string policy_path = absl::GetFlag(FLAGS_policy);
  if (policy_path.empty()) Fail("--policy is required (e.g. examples/blog/policy.textproto)");
  absl::StatusOr<orb::policy::PolicyPtr> policy = orb::policy::LoadPolicyFile(policy_path);
  if (!policy.ok()) {
    // The loader's message lists each problem as file:line: what to fix.
    Fail(absl::StrCat("invalid policy: ", policy.status().message()));
  }

  absl::StatusOr<const DaemonService*> found = FindService(services, absl::GetFlag(FLAGS_service));
  if (!found.ok()) Fail(std::string(found.status().message()));
  const DaemonService* const service = *found;
  absl::StatusOr<Served> built = Build(*service);
  if (!built.ok()) Fail(std::string(built.status().message()));
  const orb::v1::ServedTypes served = orb::broker::ServedTypesOf(*built->registry);
  const bool strict_policy = absl::GetFlag(FLAGS_strict_policy);
  if (absl::Status checked = CheckPolicy(**policy, served, strict_policy); !checked.ok()) {
    Fail(std::string(checked.message()));
  }

  const std::string shadow_path = absl::GetFlag(FLAGS_shadow_policy);
  orb::policy::PolicyPtr shadow;
  if (!shadow_path.empty()) {
    absl::StatusOr<orb::policy::PolicyPtr> loaded = orb::policy::LoadPolicyFile(shadow_path);
    if (!loaded.ok()) Fail(absl::StrCat("invalid shadow policy: ", loaded.status().message()));
    if (absl::Status checked = CheckPolicy(**loaded, served, strict_policy); !checked.ok()) {
      Fail(absl::StrCat("shadow policy: ", checked.message()));
    }
    shadow = *std::move(loaded);
  }

  std::unique_ptr<orb::broker::AuditLog> audit_log;
  if (!absl::GetFlag(FLAGS_audit_log).empty()) {
    auto opened = orb::broker::AuditLog::Open(absl::GetFlag(FLAGS_audit_log));
    if (!opened.ok()) Fail(std::string(opened.status().message()));
    audit_log = *std::move(opened);
  }

  orb::broker::BrokerCore::Options core_options;
  core_options.broker_id = absl::GetFlag(FLAGS_broker_id);
  if (!core_options.broker_id.empty()) {
    if (absl::Status valid = orb::broker::ValidateBrokerId(core_options.broker_id); !valid.ok()) {
      Fail(absl::StrCat("--broker-id: ", valid.message()));
    }
  }
  core_options.debug_authorization = absl::GetFlag(FLAGS_debug_authorization);
  core_options.debug_log = [](const std::string& line) {
    fprintf(stderr, "%s: authz: %s\n", Program().c_str(), line.c_str());
  };
  if (audit_log != nullptr) {
    core_options.audit = [log = audit_log.get()](const orb::broker::AuditRecord& record) {
      log->Write(record);
    };
  }
  orb::broker::BrokerCore core(built->registry, built->root, *policy, core_options);
  core.SetShadowPolicy(shadow);

  orb::broker::PolicyReloader::Options reload_options;
  reload_options.log = [](const std::string& line) {
    fprintf(stderr, "%s: %s\n", Program().c_str(), line.c_str());
    fflush(stderr);
  };
  reload_options.check = [&served, strict_policy](const orb::policy::PolicyPtr& loaded) {
    return CheckPolicy(*loaded, served, strict_policy);
  };
  reload_options.shadow_path = shadow_path;
  orb::broker::PolicyReloader reloader(&core, policy_path, reload_options);

  orb::broker::ServerOptions server_options;
  server_options.listen = absl::GetFlag(FLAGS_listen);
  server_options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  server_options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  server_options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  server_options.tls_require_client_cert = absl::GetFlag(FLAGS_tls_require_client_cert);
  server_options.max_message_bytes = (*policy)->limits().max_message_bytes;
  server_options.policy_reloader = &reloader;
  if (absl::GetFlag(FLAGS_member_threads) < 0) Fail("--member-threads must be 0 or more");
  server_options.max_member_threads = static_cast<size_t>(absl::GetFlag(FLAGS_member_threads));
  // Metrics: the port is taken before the broker serves, so that a port in
  // use refuses the start; the collector is handed over once it serves.
  std::unique_ptr<orb::broker::RpcStats> rpc_stats;
  std::unique_ptr<orb::broker::MetricsServer> metrics;
  if (const std::string flag = absl::GetFlag(FLAGS_metrics_listen); !flag.empty()) {
    absl::StatusOr<orb::broker::MetricsAddress> address = orb::broker::ParseMetricsAddress(flag);
    if (!address.ok()) Fail(std::string(address.status().message()));
    absl::StatusOr<std::unique_ptr<orb::broker::MetricsServer>> bound =
        orb::broker::MetricsServer::Bind(*address);
    if (!bound.ok()) Fail(std::string(bound.status().message()));
    metrics = *std::move(bound);
    rpc_stats = std::make_unique<orb::broker::RpcStats>();
    server_options.rpc_stats = rpc_stats.get();
  }
  gpr_set_log_function(GrpcLog);
  auto server = orb::broker::Server::Start(&core, server_options);
  if (!server.ok()) Fail(std::string(server.status().message()));
  g_started = true;
  if (metrics != nullptr) {
    orb::broker::MetricsSources sources;
    sources.core = &core;
    sources.rpc_stats = rpc_stats.get();
    sources.server = server->get();
    sources.reloader = &reloader;
    sources.audit_log = audit_log.get();
    metrics->Serve(std::make_shared<orb::broker::BrokerCollector>(sources));
    const std::string where = metrics->address().HostPort();
    if (!metrics->address().loopback) {
      fprintf(stderr,
              "%s: warning: metrics are served beyond this machine (%s); firewall the port or "
              "use --metrics-listen=PORT for 127.0.0.1\n",
              Program().c_str(), where.c_str());
    }
    fprintf(stderr, "%s: metrics on http://%s/metrics\n", Program().c_str(), where.c_str());
  }

  const char* transport = "plaintext";
  if (!server_options.tls_cert_file.empty()) {
    transport = server_options.tls_require_client_cert      ? "mTLS"
                : server_options.tls_client_ca_file.empty() ? "TLS"
                                                            : "TLS, client certificates optional";
  }
  fprintf(stderr, "%s: serving '%s' on %s (%s), policy %s revision %llu, broker %s\n",
          Program().c_str(), service->name.c_str(), (*server)->address().c_str(), transport,
          policy_path.c_str(), static_cast<unsigned long long>((*policy)->revision()),
          core.broker_id().c_str());
  if (shadow != nullptr) {
    fprintf(stderr, "%s: shadow policy %s revision %llu: every gated operation is also decided "
                    "under it\n",
            Program().c_str(), shadow_path.c_str(),
            static_cast<unsigned long long>(shadow->revision()));
  }
  fflush(stderr);
  orb::orbd::NotifyServiceManager(absl::StrCat("READY=1\nSTATUS=serving '", service->name,
                                               "' on ", (*server)->address()));

  for (;;) {
    int signal_number = 0;
    if (sigwait(&stop_signals, &signal_number) != 0) continue;
    if (signal_number == SIGHUP) {
      // Reloading here, on the main thread, keeps signal handling
      // synchronous; serving goes on meanwhile on gRPC's threads. The
      // outcome is logged by the reloader; systemd learns that the reload
      // (ExecReload) is over, whatever its outcome.
      orb::orbd::NotifyServiceManager("RELOADING=1\nSTATUS=reloading the policy");
      const bool reloaded = reloader.Reload("SIGHUP").ok();
      orb::orbd::NotifyServiceManager(
          absl::StrCat("READY=1\nSTATUS=serving '", service->name, "' on ",
                       (*server)->address(), reloaded ? "" : " (the last reload was refused)"));
      continue;
    }
    fprintf(stderr, "%s: signal %d, draining calls in flight\n", Program().c_str(),
            signal_number);
    fflush(stderr);
    orb::orbd::NotifyServiceManager("STOPPING=1\nSTATUS=draining calls in flight");
    break;
  }
  (*server)->Shutdown(absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  (*server)->Wait();
  metrics.reset();  // no scrape may read the server once it is gone
  fprintf(stderr, "%s: stopped\n", Program().c_str());
  fflush(stderr);
  return 0;
}

}  // namespace orb::broker
