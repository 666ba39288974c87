// SPDX-License-Identifier: Apache-2.0
#include "audit/event.hpp"

#include <array>

namespace cf::audit {
namespace {

constexpr std::array kActions = {
    Action::kQuery,        Action::kView,          Action::kDownload,      Action::kStore,
    Action::kDelete,       Action::kShare,         Action::kPrint,         Action::kLogin,
    Action::kLoginFailed,  Action::kLogout,        Action::kBreakGlass,    Action::kTokenCreate,
    Action::kTokenRevoke,  Action::kAccountCreate, Action::kAccountChange, Action::kAccessDenied,
    Action::kConfigChange,
};

constexpr std::array kOutcomes = {Outcome::kSuccess, Outcome::kDenied, Outcome::kFailure};

}  // namespace

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kQuery:
      return "query";
    case Action::kView:
      return "view";
    case Action::kDownload:
      return "download";
    case Action::kStore:
      return "store";
    case Action::kDelete:
      return "delete";
    case Action::kShare:
      return "share";
    case Action::kPrint:
      return "print";
    case Action::kLogin:
      return "login";
    case Action::kLoginFailed:
      return "login-failed";
    case Action::kLogout:
      return "logout";
    case Action::kBreakGlass:
      return "break-glass";
    case Action::kTokenCreate:
      return "token-create";
    case Action::kTokenRevoke:
      return "token-revoke";
    case Action::kAccountCreate:
      return "account-create";
    case Action::kAccountChange:
      return "account-change";
    case Action::kAccessDenied:
      return "access-denied";
    case Action::kConfigChange:
      return "config-change";
  }
  return {};
}

std::optional<Action> ParseAction(std::string_view name) {
  for (Action a : kActions) {
    if (ActionName(a) == name) return a;
  }
  return std::nullopt;
}

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kSuccess:
      return "success";
    case Outcome::kDenied:
      return "denied";
    case Outcome::kFailure:
      return "failure";
  }
  return {};
}

std::optional<Outcome> ParseOutcome(std::string_view name) {
  for (Outcome o : kOutcomes) {
    if (OutcomeName(o) == name) return o;
  }
  return std::nullopt;
}

bool IsRead(Action action) {
  return action == Action::kQuery || action == Action::kView || action == Action::kDownload;
}

}  // namespace cf::audit
