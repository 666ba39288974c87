// SPDX-License-Identifier: Apache-2.0
// `cloudfilm accounts create|list|reset-totp` and `cloudfilm tokens issue|list|revoke`:
// the operator's way in, run on the server's machine with the data folder
// (whoever has it has the keys anyway, so the CLI acts as the platform
// operator). The first administrator is created here. Passwords are read
// from a file or stdin, never from the command line, where `ps` and shell
// history would show them.
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "../runtime.hpp"
#include "commands.hpp"

namespace cf::app {
namespace {

std::string Time(const std::optional<int64_t>& ms) {
  if (!ms) return "-";
  const std::time_t seconds = static_cast<std::time_t>(*ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &tm);
  return text;
}

// One line of stdin; on a terminal, prompted and without echo.
Result<std::string> ReadSecretLine(const char* prompt) {
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::cerr << prompt << std::flush;
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
  }
  if (!got) return Fail(ErrorCode::kInvalidArgument, "no password on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Result<std::string> ReadPassword(const std::string& file) {
  if (!file.empty()) {
    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line)) {
      return Fail(ErrorCode::kInvalidArgument, "--password-file: cannot read " + file);
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  auto first = ReadSecretLine("password: ");
  if (!first) return first;
  if (::isatty(STDIN_FILENO) != 0) {
    auto again = ReadSecretLine("password again: ");
    if (!again) return again;
    if (*again != *first) return Fail(ErrorCode::kInvalidArgument, "the passwords differ");
  }
  return first;
}

struct CreateArgs {
  std::string login, role, tenant = "default", password_file;
};

int RunCreate(const Config& config, const CreateArgs& args) {
  const auto role = access::ParseRole(args.role);
  if (!role) {
    return ReportError({ErrorCode::kInvalidArgument,
                        "--role must be platform-admin, hospital-admin, technologist, doctor, "
                        "kiosk, auditor or api-client"});
  }
  auto password = ReadPassword(args.password_file);
  if (!password) return ReportError(password.error());
  auto security = OpenSecurity(config);
  if (!security) return ReportError(security.error());
  access::NewAccount account{args.login, *role, args.tenant, std::move(*password)};
  auto created = security->access->CreateAccount(access::OperatorPrincipal(), account);
  if (!created) return ReportError(created.error());
  std::cout << fmt::format("created account {} ({}, tenant {})\n", created->login,
                           access::RoleName(created->role), created->tenant);
  return 0;
}

int RunList(const Config& config) {
  auto security = OpenSecurity(config);
  if (!security) return ReportError(security.error());
  auto accounts = security->access->ListAccounts(access::OperatorPrincipal());
  if (!accounts) return ReportError(accounts.error());
  std::cout << fmt::format("{:<24} {:<16} {:<16} {:<17} {:<8} {}\n", "login", "role", "tenant",
                           "last login (UTC)", "totp", "state");
  for (const auto& a : *accounts) {
    const bool locked = a.locked_until_ms > std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count();
    std::cout << fmt::format("{:<24} {:<16} {:<16} {:<17} {:<8} {}\n", a.login,
                             access::RoleName(a.role), a.tenant, Time(a.last_login_ms),
                             access::TotpStateName(a.totp),
                             a.disabled ? "disabled"
                             : locked   ? "locked"
                                        : "active");
  }
  return 0;
}

// Recovery from a lost or replaced phone: the account signs in with its
// password alone again (and, with security.require_totp_for_admins, may
// then only enrol). Its sessions end, in case the phone went with one.
int RunResetTotp(const Config& config, const std::string& login) {
  auto security = OpenSecurity(config);
  if (!security) return ReportError(security.error());
  auto reset = security->access->ResetTotp(access::OperatorPrincipal(), login);
  if (!reset) return ReportError(reset.error());
  std::cout << fmt::format("{} for {}; its sessions were ended\n",
                           *reset ? "removed the TOTP second factor" : "no TOTP second factor",
                           login);
  return 0;
}

struct IssueArgs {
  std::string login, label;
  std::vector<std::string> scopes;
  int expires_days = 0;
};

int RunIssue(const Config& config, const IssueArgs& args) {
  access::TokenRequest request;
  request.login = args.login;
  request.label = args.label;
  for (const auto& name : args.scopes) {
    const auto scope = access::ParsePermission(name);
    if (!scope) {
      return ReportError({ErrorCode::kInvalidArgument,
                          "unknown --scope " + name +
                              " (read-images, store-images, read-system, manage-accounts, "
                              "read-audit)"});
    }
    request.scopes.push_back(*scope);
  }
  if (args.expires_days > 0) request.lifetime = std::chrono::seconds(args.expires_days * 86400LL);
  auto security = OpenSecurity(config);
  if (!security) return ReportError(security.error());
  auto issued = security->access->IssueToken(access::OperatorPrincipal(), request);
  if (!issued) return ReportError(issued.error());
  // The token alone on stdout, so that scripts can capture it; the rest
  // on stderr.
  std::cout << issued->text << "\n";
  std::cerr << fmt::format("token {} for {} (shown once; store it now), expires {}\n",
                           issued->info.id, issued->info.login, Time(issued->info.expires_ms));
  return 0;
}

int RunTokens(const Config& config) {
  auto security = OpenSecurity(config);
  if (!security) return ReportError(security.error());
  auto tokens = security->access->ListTokens(access::OperatorPrincipal());
  if (!tokens) return ReportError(tokens.error());
  std::cout << fmt::format("{:<17} {:<20} {:<17} {:<17} {:<17} {}\n", "id", "login",
                           "expires (UTC)", "last used", "revoked", "scopes");
  for (const auto& t : *tokens) {
    std::string scopes;
    for (const auto scope : t.scopes) scopes += std::string(access::PermissionName(scope)) + " ";
    std::cout << fmt::format("{:<17} {:<20} {:<17} {:<17} {:<17} {}\n", t.id, t.login,
                             Time(t.expires_ms), Time(t.last_used_ms), Time(t.revoked_ms), scopes);
  }
  return 0;
}

int RunRevoke(const Config& config, const std::string& id) {
  auto security = OpenSecurity(config);
  if (!security) return ReportError(security.error());
  if (auto done = security->access->RevokeToken(access::OperatorPrincipal(), id); !done) {
    return ReportError(done.error());
  }
  std::cout << "revoked token " << id << "\n";
  return 0;
}

}  // namespace

void RegisterAccounts(CLI::App& app, Runner& run) {
  CLI::App* accounts =
      app.add_subcommand("accounts", "create and list accounts, reset second factors");
  accounts->require_subcommand(1);
  auto create = std::make_shared<CreateArgs>();
  CLI::App* sub = accounts->add_subcommand(
      "create", "create an account (password from --password-file or standard input)");
  sub->add_option("--login", create->login, "login name (3-64 of A-Z a-z 0-9 . _ @ -)")->required();
  sub->add_option("--role", create->role,
                  "platform-admin, hospital-admin, technologist, doctor, kiosk, auditor, "
                  "api-client")
      ->required();
  sub->add_option("--tenant", create->tenant, "the hospital the account belongs to");
  sub->add_option("--password-file", create->password_file,
                  "file whose first line is the password (default: standard input)")
      ->check(CLI::ExistingFile);
  sub->callback([&run, create] {
    run = [create](const Config& config) { return RunCreate(config, *create); };
  });
  CLI::App* list = accounts->add_subcommand("list", "list accounts");
  list->callback([&run] { run = RunList; });
  auto reset_login = std::make_shared<std::string>();
  CLI::App* reset_totp = accounts->add_subcommand(
      "reset-totp", "remove an account's TOTP second factor (lost phone) and end its sessions");
  reset_totp->add_option("login", *reset_login, "the account's login")->required();
  reset_totp->callback([&run, reset_login] {
    run = [reset_login](const Config& config) { return RunResetTotp(config, *reset_login); };
  });

  CLI::App* tokens = app.add_subcommand("tokens", "issue, list and revoke API tokens");
  tokens->require_subcommand(1);
  auto issue = std::make_shared<IssueArgs>();
  CLI::App* issue_cmd =
      tokens->add_subcommand("issue", "issue an API token for an account (printed once)");
  issue_cmd->add_option("--login", issue->login, "the account the token acts as")->required();
  issue_cmd->add_option("--label", issue->label, "what the token is for");
  issue_cmd->add_option("--scope", issue->scopes,
                        "read-images, store-images, read-system, manage-accounts, read-audit "
                        "(repeatable; default: all of the account's role)");
  issue_cmd->add_option("--expires-days", issue->expires_days, "lifetime in days (default: none)")
      ->check(CLI::Range(1, 3660));
  issue_cmd->callback(
      [&run, issue] { run = [issue](const Config& config) { return RunIssue(config, *issue); }; });
  CLI::App* list_tokens = tokens->add_subcommand("list", "list API tokens (never their secret)");
  list_tokens->callback([&run] { run = RunTokens; });
  auto id = std::make_shared<std::string>();
  CLI::App* revoke = tokens->add_subcommand("revoke", "revoke an API token by its id");
  revoke->add_option("id", *id, "the token id (16 hex characters)")->required();
  revoke->callback(
      [&run, id] { run = [id](const Config& config) { return RunRevoke(config, *id); }; });
}

}  // namespace cf::app
