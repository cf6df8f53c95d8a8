// phalanx: the offline JobSet tool (default, validate, expand). See cli/commands.h.
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  return phalanx::cli::Run(args, std::cin, std::cout, std::cerr);
}
