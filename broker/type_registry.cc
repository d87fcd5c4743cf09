#include "orb/broker/type_registry.h"

#include <exception>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "orb/broker/binding.h"

namespace orb::broker {

bool MemberBinding::Supports(policy::Op op) const {
  switch (op) {
    case policy::Op::kGetAttr:
      return static_cast<bool>(get);
    case policy::Op::kSetAttr:
      return static_cast<bool>(set);
    case policy::Op::kDelAttr:
      return static_cast<bool>(del);
    case policy::Op::kCall:
      return static_cast<bool>(call);
  }
  return false;
}

absl::string_view MemberBinding::KindName() const {
  switch (kind) {
    case Kind::kAttribute:
      return "attribute";
    case Kind::kProperty:
      return "property";
    case Kind::kMethod:
      return "method";
    case Kind::kClassAttribute:
      return "class attribute";
    case Kind::kClassMethod:
      return "class method";
    case Kind::kClassObject:
      return "class object";
  }
  return "member";
}

policy::AclPtr TypeInfo::DynamicAcl(const Object& object) const {
  if (!dynamic_acl_) return nullptr;
  try {
    return policy::Acl::Compile(dynamic_acl_(object));
  } catch (...) {
    // Fails closed: an ACL that cannot be computed grants nothing and stops
    // inheritance.
    return policy::Acl::Compile({policy::AceSpec::DenyAll()});
  }
}

const MemberBinding* TypeInfo::FindMember(policy::View view, absl::string_view name) const {
  const auto& members = members_[static_cast<int>(view)];
  auto it = members.find(name);
  return it == members.end() ? nullptr : &it->second;
}

TypeBuilderBase::TypeBuilderBase(std::string name, std::type_index cpp_type)
    : info_(new TypeInfo(cpp_type)) {
  info_->name_ = std::move(name);
}

const std::string& TypeBuilderBase::name() const { return info_->name_; }

void TypeBuilderBase::AddMember(MemberBinding member) {
  auto& members = info_->members_[static_cast<int>(member.view)];
  last_member_.clear();
  if (member.name.empty()) {
    AddError("a member has an empty name");
    return;
  }
  if (members.count(member.name) != 0) {
    AddError(absl::StrCat("member '", member.name, "' is bound twice on the ",
                          policy::ViewName(member.view), " view"));
    return;
  }
  std::string name = member.name;
  last_member_ = name;
  last_view_ = member.view;
  members.emplace(std::move(name), std::move(member));
}

void TypeBuilderBase::AddError(std::string error) { errors_.push_back(std::move(error)); }

void TypeBuilderBase::LockLastMember(policy::Op op, policy::Lock lock) {
  if (last_member_.empty()) {
    // Either nothing was bound yet, or the binding before failed (and has
    // its own error).
    if (info_->members_[0].empty() && info_->members_[1].empty()) {
      AddError(absl::StrCat("a ", policy::OpName(op),
                            " lock comes before any member: it locks the member bound before it"));
    }
    return;
  }
  const MemberBinding& member =
      info_->members_[static_cast<int>(last_view_)].find(last_member_)->second;
  if (!member.Supports(op)) {
    AddError(absl::StrCat("member '", last_member_, "' is a ", member.KindName(),
                          " without ", policy::OpName(op), ": it cannot have a ",
                          policy::OpName(op), " lock"));
    return;
  }
  if (member_locks_ == nullptr) member_locks_ = std::make_unique<policy::Olp::Builder>();
  member_locks_->Expose(last_view_, op, last_member_, std::move(lock));
}

void TypeBuilderBase::SetAcl(std::vector<policy::AceSpec> aces) {
  info_->acl_ = policy::Acl::Compile(std::move(aces));
}

void TypeBuilderBase::SetDynamicAcl(TypeInfo::DynamicAclFn fn) {
  info_->dynamic_acl_ = std::move(fn);
}

void TypeBuilderBase::SetOlp(policy::OlpPtr olp) { info_->olp_ = std::move(olp); }

void TypeBuilderBase::SetConcurrency(Concurrency c) { info_->concurrency_ = c; }

void TypeBuilderBase::DeclareNonBlocking(std::vector<std::string> names) {
  if (names.empty()) {
    all_non_blocking_ = true;
    return;
  }
  for (std::string& name : names) non_blocking_names_.push_back(std::move(name));
}

void TypeBuilderBase::DeclareIdempotent(std::vector<std::string> names) {
  for (std::string& name : names) idempotent_names_.push_back(std::move(name));
}

namespace {

// Marks the named methods idempotent; returns the names that are no
// method of the type.
std::vector<std::string> ResolveIdempotent(TypeInfo::MemberMaps& members,
                                           const std::vector<std::string>& names) {
  std::vector<std::string> unknown;
  for (const std::string& name : names) {
    bool found = false;
    for (auto& view : members) {
      auto it = view.find(name);
      if (it == view.end() || !it->second.Supports(policy::Op::kCall)) continue;
      it->second.idempotent = true;
      found = true;
    }
    if (!found) unknown.push_back(name);
  }
  return unknown;
}

// Applies the builder's NonBlocking declarations and works out each
// member's may_block. Returns the names that are not members.
std::vector<std::string> ResolveBlocking(TypeInfo::MemberMaps& members, Concurrency concurrency,
                                         bool all_non_blocking,
                                         const std::vector<std::string>& non_blocking_names) {
  std::vector<std::string> unknown;
  for (const std::string& name : non_blocking_names) {
    bool found = false;
    for (auto& view : members) {
      auto it = view.find(name);
      if (it == view.end()) continue;
      it->second.declared_non_blocking = true;
      found = true;
    }
    if (!found) unknown.push_back(name);
  }
  // A kSerialized object's access lock is held by whichever instance member
  // runs on it; if any of them may block, every instance member may wait.
  bool instance_lock_may_wait = false;
  auto& instance = members[static_cast<int>(policy::View::kInstance)];
  if (concurrency == Concurrency::kSerialized && !all_non_blocking) {
    for (const auto& [name, member] : instance) {
      if (!member.declared_non_blocking) instance_lock_may_wait = true;
    }
  }
  for (int v = 0; v < policy::kViewCount; ++v) {
    const bool locked = v == static_cast<int>(policy::View::kInstance) && instance_lock_may_wait;
    for (auto& [name, member] : members[v]) {
      member.may_block = locked || !(all_non_blocking || member.declared_non_blocking);
    }
  }
  return unknown;
}

bool IsValidTypeName(absl::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  return true;
}

}  // namespace

absl::Status TypeRegistry::Register(TypeBuilderBase&& builder) {
  if (builder.info_ == nullptr) {
    return absl::InvalidArgumentError("this type builder was already registered");
  }
  const std::string name = builder.info_->name_;
  if (!IsValidTypeName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("type name '", name, "' is not valid (letters, digits, '_' and '.')"));
  }
  std::vector<std::string> unknown =
      ResolveBlocking(builder.info_->members_, builder.info_->concurrency_,
                      builder.all_non_blocking_, builder.non_blocking_names_);
  for (const std::string& u : unknown) {
    builder.errors_.push_back(
        absl::StrCat("NonBlocking() names '", u, "', which is not a member of the type"));
  }
  for (const std::string& u : ResolveIdempotent(builder.info_->members_,
                                                builder.idempotent_names_)) {
    builder.errors_.push_back(
        absl::StrCat("Idempotent() names '", u, "', which is not a method of the type"));
  }
  if (builder.member_locks_ != nullptr) {
    if (builder.info_->olp_ != nullptr) {
      builder.errors_.push_back(
          "the type has both Olp() and per-member locks (Get/Set/Del/Call): state its OLP "
          "one way");
    } else {
      builder.info_->olp_ = builder.member_locks_->Build();
    }
  }
  if (!builder.errors_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("type '", name, "': ", absl::StrJoin(builder.errors_, "; ")));
  }
  if (by_name_.count(name) != 0) {
    return absl::AlreadyExistsError(absl::StrCat("type '", name, "' is already registered"));
  }
  if (by_type_.count(builder.info_->cpp_type_) != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("the C++ type of '", name, "' is already registered as '",
                     by_type_[builder.info_->cpp_type_]->name(), "'"));
  }
  const TypeInfo* info = builder.info_.get();
  by_type_.emplace(info->cpp_type_, info);
  by_name_.emplace(name, std::move(builder.info_));
  return absl::OkStatus();
}

const TypeInfo* TypeRegistry::FindByName(absl::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.get();
}

const TypeInfo* TypeRegistry::FindByType(std::type_index type) const {
  auto it = by_type_.find(type);
  return it == by_type_.end() ? nullptr : it->second;
}

const TypeInfo* TypeRegistry::FindFor(const Object& object) const {
  return FindByType(std::type_index(typeid(object)));
}

std::vector<const TypeInfo*> TypeRegistry::types() const {
  std::vector<const TypeInfo*> out;
  out.reserve(by_name_.size());
  for (const auto& [name, info] : by_name_) out.push_back(info.get());
  return out;
}

namespace binding_internal {

absl::StatusOr<std::vector<const v1::Value*>> BindArguments(
    absl::string_view method, const std::vector<std::string>& names,
    const std::vector<bool>& optional, const CallArgs& args) {
  const size_t arity = names.size();
  const size_t given = static_cast<size_t>(args.args.size());
  if (given > arity) {
    return ArgumentError(absl::StrCat(method, "() takes ", arity, " argument",
                                      arity == 1 ? "" : "s", " but ", given,
                                      given == 1 ? " was" : " were", " given"));
  }
  std::vector<const v1::Value*> slots(arity, nullptr);
  for (size_t i = 0; i < given; ++i) slots[i] = &args.args[static_cast<int>(i)];
  // Keywords in sorted order, so that the first error reported is stable.
  std::vector<const std::string*> keys;
  keys.reserve(args.kwargs.size());
  for (const auto& [key, value] : args.kwargs) keys.push_back(&key);
  std::sort(keys.begin(), keys.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  for (const std::string* key : keys) {
    size_t index = arity;
    for (size_t i = 0; i < arity; ++i) {
      if (names[i] == *key) {
        index = i;
        break;
      }
    }
    if (index == arity) {
      return ArgumentError(
          absl::StrCat(method, "() got an unexpected keyword argument '", *key, "'"));
    }
    if (slots[index] != nullptr) {
      return ArgumentError(
          absl::StrCat(method, "() got multiple values for argument '", *key, "'"));
    }
    slots[index] = &args.kwargs.at(*key);
  }
  for (size_t i = 0; i < arity; ++i) {
    if (slots[i] == nullptr && !optional[i]) {
      return ArgumentError(
          absl::StrCat(method, "() missing required argument '", names[i], "'"));
    }
  }
  return slots;
}

}  // namespace binding_internal

}  // namespace orb::broker
