// The lab thermostat of the embedding example: the type and its
// registration, shared by thermostat_plugin.so (plugin.cc: served by orbd),
// thermostat-broker (main.cc: its own main, its own server) and
// thermostat-daemon (daemon.cc: orbd's flags and behaviour through
// RunDaemon).
#ifndef ORB_EXAMPLES_EMBED_THERMOSTAT_H_
#define ORB_EXAMPLES_EMBED_THERMOSTAT_H_

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "orb/broker/binding.h"

// 1. Your type derives from orb::broker::Object.
//
// The room's temperature follows the setpoint: a control loop of its own
// moves it 0.1 °C toward the setpoint every kTick and announces each step
// with Changed("temperature"), as calibrate does, so that watchers
// (ObjectBroker.Watch) get the new value. A setpoint written with SetAttr
// is announced by the broker itself. The loop stops with the object.
class Thermostat : public orb::broker::Object {
 public:
  static constexpr std::chrono::milliseconds kTick{1000};

  Thermostat() : loop_([this] { Run(); }) {}
  ~Thermostat() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    stop_.notify_all();
    loop_.join();
  }

  double setpoint() const {
    std::lock_guard<std::mutex> lock(mu_);
    return setpoint_;
  }
  absl::Status set_setpoint(double celsius) {
    if (celsius < 5 || celsius > 30) return absl::InvalidArgumentError("setpoint must be 5..30 °C");
    std::lock_guard<std::mutex> lock(mu_);
    setpoint_ = celsius;
    return absl::OkStatus();
  }
  double temperature() const {
    std::lock_guard<std::mutex> lock(mu_);
    return room_tenths_ / 10.0 + offset_;
  }
  void Calibrate(double offset) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      offset_ = offset;
    }
    Changed("temperature");  // once the new value is what a reader gets
  }

  std::string service_code_ = "never leaves this process";

 private:
  // The control loop: one step toward the setpoint per tick, announced.
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_.wait_for(lock, kTick, [this] { return stopping_; })) {
      const long target = std::lround(setpoint_ * 10);
      if (room_tenths_ == target) continue;
      room_tenths_ += room_tenths_ < target ? 1 : -1;
      lock.unlock();
      Changed("temperature");  // any thread; never blocks
      lock.lock();
    }
  }

  mutable std::mutex mu_;
  std::condition_variable stop_;
  bool stopping_ = false;
  double setpoint_ = 20.0;
  long room_tenths_ = 215;  // 21.5 °C
  double offset_ = 0.0;
  std::thread loop_;  // last: starts once the state above is set
};

// 2. Register it: members, each followed by the lock of what it allows
//    (together the type's default OLP: which names exist for which
//    operation, and the permission each needs), and the type's ACL. The
//    private setpoint_ is reached only through its accessors.
inline absl::Status RegisterThermostat(orb::broker::TypeRegistry& registry) {
  using orb::policy::AceSpec;
  orb::broker::TypeBuilder<Thermostat> type("lab.Thermostat");
  type.Property("setpoint", &Thermostat::setpoint, &Thermostat::set_setpoint)
      .Get("view")
      .Set("adjust")
      .Property("temperature", &Thermostat::temperature).Get("view")
      .Method("calibrate", &Thermostat::Calibrate, {"offset"}).Call("calibrate")
      // Bound, but with no lock: no operation can reach it.
      .Attribute("_service_code", &Thermostat::service_code_)
      .Acl({AceSpec::Allow("system.Everyone", "view"),
            AceSpec::Allow("system.Authenticated", "adjust"),
            AceSpec::Allow("group:lab", std::vector<std::string>{"adjust", "calibrate"}),
            AceSpec::DenyAll()})
      // A real instrument read may block, so no NonBlocking() here: the
      // broker runs these members on its member threads.
      .Concurrency(orb::broker::Concurrency::kSerialized);
  return registry.Register(std::move(type));
}

#endif  // ORB_EXAMPLES_EMBED_THERMOSTAT_H_
