#include "command_line.h"

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace bench {

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');)
    if (!x.empty()) out.push_back(x);
  return out;
}

CommandLine& CommandLine::text(const std::string& name, std::string& to) {
  return custom(name, [&to](const std::string& v) { to = v; });
}

CommandLine& CommandLine::list(const std::string& name, std::vector<std::string>& to) {
  return custom(name, [&to](const std::string& v) { to = splitList(v); });
}

CommandLine& CommandLine::integer(const std::string& name, int& to) {
  return custom(name, [&to](const std::string& v) { to = std::stoi(v); });
}

CommandLine& CommandLine::number(const std::string& name, double& to) {
  return custom(name, [&to](const std::string& v) { to = std::stod(v); });
}

CommandLine& CommandLine::seed(const std::string& name, unsigned& to) {
  return custom(name, [&to](const std::string& v) { to = static_cast<unsigned>(std::stoul(v)); });
}

CommandLine& CommandLine::flag(const std::string& name, bool& to, bool value) {
  options_[name] = {false, [&to, value](const std::string&) { to = value; }};
  return *this;
}

CommandLine& CommandLine::custom(const std::string& name, std::function<void(const std::string&)> set) {
  options_[name] = {true, std::move(set)};
  return *this;
}

std::optional<int> CommandLine::parse(int argc, char** argv) const {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") return std::fputs(usage_, stdout), 0;
    const auto o = options_.find(k);
    if (o == options_.end()) return std::fprintf(stderr, "%s: unknown option %s\n%s", tool_.c_str(), k.c_str(), usage_), 2;
    if (!o->second.takesValue) {
      o->second.set("");
      continue;
    }
    if (i + 1 >= argc) return std::fprintf(stderr, "%s: %s needs a value\n", tool_.c_str(), k.c_str()), 2;
    const std::string v = argv[++i];
    try {
      o->second.set(v);
    } catch (const std::logic_error&) {  // std::stoi and friends: not a number, or out of range
      return std::fprintf(stderr, "%s: %s needs a number, not '%s'\n", tool_.c_str(), k.c_str(), v.c_str()), 2;
    }
  }
  return std::nullopt;
}

}  // namespace bench
