import Foundation
import PraxisCLI

// The executable stays thin: everything lives in PraxisCLI so it is testable in-process.
exit(await PraxisCLI.run(CommandLine.arguments))
