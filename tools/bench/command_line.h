#pragma once
// The bench tools' command lines: each option is bound to the field it sets, and one parser
// gives every tool the same --help, the same errors and the same exit codes.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bench {

// "a,b,c" -> {"a", "b", "c"}.
std::vector<std::string> splitList(const std::string& commaSeparated);

class CommandLine {
 public:
  CommandLine(std::string tool, const char* usage) : tool_(std::move(tool)), usage_(usage) {}

  CommandLine& text(const std::string& name, std::string& to);
  CommandLine& list(const std::string& name, std::vector<std::string>& to);  // "a,b,c"
  CommandLine& integer(const std::string& name, int& to);
  CommandLine& number(const std::string& name, double& to);
  CommandLine& seed(const std::string& name, unsigned& to);
  CommandLine& flag(const std::string& name, bool& to, bool value = true);
  CommandLine& custom(const std::string& name, std::function<void(const std::string&)> set);

  // Nothing when the tool should go on; otherwise the exit status: 0 after --help (the usage
  // printed), 2 for an unknown option, a missing value or a value that is not a number.
  std::optional<int> parse(int argc, char** argv) const;

 private:
  struct Option {
    bool takesValue = true;
    std::function<void(const std::string&)> set;
  };
  std::string tool_;
  const char* usage_;
  std::map<std::string, Option> options_;
};

}  // namespace bench
