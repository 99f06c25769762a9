let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "fanout": await FanoutBench.run(Array(arguments.dropFirst()))
case "lane": await LaneBench.run(Array(arguments.dropFirst()))
default: print("praxis-bench: under construction")
}
