import ArgumentParser

/// `courier bench SCENARIO`: measurements a user can reproduce on their own machine.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Courier: protocol overhead, round-trip time, resume latency, fan-out, throughput, concurrent connections, a reconnect storm, compression, a soak through injected faults.",
        subcommands: [OverheadBench.self, RTTBench.self, ResumeBench.self, FanoutBench.self, ThroughputBench.self, ConnectionsBench.self, ConnectionsWorker.self, ReconnectStormBench.self, CompressionBench.self, SoakBench.self]
    )
}
