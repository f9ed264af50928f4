// The populus subcommands. Each registers its options on the application and
// returns the function that runs it; the function returns the exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace populus::cli {

using Runner = std::function<int()>;

struct Command {
  CLI::App* app;
  Runner run;
};

Command AddIngestCommand(CLI::App& app);
Command AddInfoCommand(CLI::App& app);
Command AddGenerateCommand(CLI::App& app);
Command AddProjectCommand(CLI::App& app);
Command AddStatsCommand(CLI::App& app);
Command AddQrisk3Command(CLI::App& app);
Command AddAnalyseCommand(CLI::App& app);
Command AddExportCommand(CLI::App& app);

// The default synthetic ICS configuration: data/ics/dorset-like.toml under the
// working directory if it is there, else under the source tree populus was
// built from.
std::string DefaultIcsConfig();

}  // namespace populus::cli

namespace populus {
class Status;
namespace cli {
// Prints an error for a failed status on stderr and returns its exit code.
int Fail(const Status& status);
}  // namespace cli

}  // namespace populus
