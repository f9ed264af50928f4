// populus: population health intelligence for an Integrated Care System.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <vector>

#include "cli/commands.h"
#include "common/status.h"

namespace populus::cli {

int Fail(const Status& status) {
  fmt::print(stderr, "populus: error: {}\n", status.message());
  return status.ExitCode();
}

}  // namespace populus::cli

int main(int argc, char** argv) {
  CLI::App app{
      "populus: population health intelligence for an Integrated Care System.\n"
      "Exit codes: 0 ok, 1 usage error, 2 input data error, 3 internal error."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "populus 0.1.0");
  const std::vector<populus::cli::Command> commands = {
      populus::cli::AddIngestCommand(app),   populus::cli::AddInfoCommand(app),
      populus::cli::AddGenerateCommand(app), populus::cli::AddProjectCommand(app),
      populus::cli::AddStatsCommand(app),    populus::cli::AddQrisk3Command(app),
      populus::cli::AddAnalyseCommand(app),  populus::cli::AddExportCommand(app),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 1;
  }
  try {
    for (const auto& command : commands) {
      if (command.app->parsed()) return command.run();
    }
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "populus: internal error: {}\n", e.what());
    return 3;
  }
}
