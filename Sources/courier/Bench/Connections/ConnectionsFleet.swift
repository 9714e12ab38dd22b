import CourierAuth
import Foundation

/// `courier bench connections` past one process's file limit: `--servers` K `courier
/// serve` children (one secret, each on its own free loopback port) and client worker
/// processes (`courier bench connections-worker`) of at most `--clients-per-process`
/// sessions each. Session `i` goes to server `i mod K` (`SessionDialer`). Memory and
/// CPU are read from every server and summed; nothing here is one server's figure
/// unless K is 1.
struct ConnectionsFleet {
    let bench: ConnectionsBench
    let fileLimit: Int

    func run() async throws -> ConnectionsOutcome {
        // A server holds its share of the sessions plus a few descriptors of its own.
        let perServer = (bench.clients + bench.servers - 1) / bench.servers
        guard perServer <= fileLimit - 128 else {
            throw BenchError("\(perServer) sessions per server do not fit a process's file limit (\(fileLimit) descriptors): use more --servers")
        }
        let perWorker = min(bench.clientsPerProcess, fileLimit - 256)
        guard perWorker > 0 else { throw BenchError("the file limit (\(fileLimit)) leaves no room for client sessions") }

        var servers: [BenchServerProcess] = []
        var workers: [BenchWorkerProcess] = []
        do {
            for _ in 0..<bench.servers {
                servers.append(try await BenchServerProcess.start(
                    threads: bench.serverThreads, arguments: bench.serverArguments, secret: servers.first?.secret, executable: bench.serverExecutable
                ))
            }
            let outcome = try await measure(servers: servers, perWorker: perWorker, workers: &workers)
            await stop(servers: servers, workers: workers)
            return outcome
        } catch {
            await stop(servers: servers, workers: workers)
            throw error
        }
    }

    private func stop(servers: [BenchServerProcess], workers: [BenchWorkerProcess]) async {
        for worker in workers { await worker.close() }
        for server in servers { await server.stop() }
    }

    private func measure(servers: [BenchServerProcess], perWorker: Int, workers: inout [BenchWorkerProcess]) async throws -> ConnectionsOutcome {
        guard let secret = servers.first?.secret else { throw BenchError("no server started") }
        let token = try await DevelopmentToken.mint(secret: secret, subject: "bench", publish: [">"], subscribe: [">"], lifetime: .seconds(3_600), now: Date())
        let memories = servers.map { ProcessMemory(pid: $0.process.processIdentifier) }
        var outcome = ConnectionsOutcome()
        // Let the servers finish starting before their idle footprint is read.
        try await Task.sleep(for: .milliseconds(500))
        outcome.servers = zip(servers, memories).map { server, memory in
            var figures = ServerFigures(port: server.port)
            figures.idle = memory.residentBytes()
            return figures
        }

        let count = (bench.clients + perWorker - 1) / perWorker
        // Each worker gets an equal share (the last one the rest), and a share of the wave.
        let share = (bench.clients + count - 1) / count
        let wave = max(1, bench.wave / count)
        let clock = ContinuousClock()
        let started = clock.now
        for index in 0..<count {
            let first = index * share
            workers.append(try BenchWorkerProcess(
                index: index, first: first, count: min(share, bench.clients - first), ports: servers.map(\.port), token: token,
                sourceAddresses: bench.sourceAddresses, wave: wave
            ))
        }
        var connected: [WorkerReport] = []
        var lastProgress = clock.now
        for worker in workers {
            connected.append(try await worker.connected { _ in
                guard !bench.json, clock.now - lastProgress > .milliseconds(250) else { return }
                lastProgress = clock.now
                let reports = workers.compactMap(\.last)
                let line = "\r  connecting: \(reports.reduce(0) { $0 + $1.connected })/\(bench.clients) connected, \(reports.reduce(0) { $0 + $1.failed }) failed, \(workers.count) client processes"
                FileHandle.standardError.write(Data(line.utf8))
            })
        }
        outcome.connectSeconds = (clock.now - started).seconds
        outcome.clientProcesses = workers.count
        outcome.connected = connected.reduce(0) { $0 + $1.connected }
        outcome.failed = connected.reduce(0) { $0 + $1.failed }
        outcome.firstFailure = connected.lazy.compactMap(\.firstFailure).first
        outcome.heartbeatMillis = connected.lazy.compactMap(\.heartbeatMillis).first
        if !bench.json { FileHandle.standardError.write(Data("\r  connecting: \(outcome.connected)/\(bench.clients) connected, \(outcome.failed) failed, \(workers.count) client processes\n".utf8)) }
        guard outcome.connected > 0 else {
            throw BenchError("no connection could be made (\(outcome.failed) failed: \(outcome.firstFailure ?? "?"))")
        }
        for index in servers.indices { outcome.servers[index].connectedRSS = memories[index].residentBytes() }
        let atConnected = try await reports(workers)
        outcome.openWhenConnected = atConnected.reduce(0) { $0 + $1.open }

        // Hold: every server pings its sessions each interval; the workers answer.
        let heartbeatsBefore = atConnected.reduce(0) { $0 + $1.heartbeats }
        let workerMemories = workers.map { ProcessMemory(pid: $0.process.processIdentifier) }
        let serverCPUBefore = memories.map { $0.cpuSeconds() }
        let clientCPUBefore = workerMemories.compactMap { $0.cpuSeconds() }.reduce(0, +)
        let holdStarted = clock.now
        var lastShown = clock.now
        while clock.now - holdStarted < .seconds(bench.duration) {
            try await Task.sleep(for: .milliseconds(250))
            if !bench.json, clock.now - lastShown >= .seconds(1) {
                lastShown = clock.now
                let now = try await reports(workers)
                let elapsed = min(Double(bench.duration), (clock.now - holdStarted).seconds)
                let line = String(format: "\r  holding: %.1f/%d s, %d open, %d heartbeats answered", elapsed, bench.duration,
                                  now.reduce(0) { $0 + $1.open }, now.reduce(0) { $0 + $1.heartbeats })
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        if !bench.json { FileHandle.standardError.write(Data("\n".utf8)) }
        outcome.holdSeconds = (clock.now - holdStarted).seconds
        let serverCPUAfter = memories.map { $0.cpuSeconds() }
        outcome.clientCPUSeconds = workerMemories.compactMap { $0.cpuSeconds() }.reduce(0, +) - clientCPUBefore
        let atEnd = try await reports(workers)
        for index in servers.indices {
            if let before = serverCPUBefore[index], let after = serverCPUAfter[index] { outcome.servers[index].cpuSeconds = after - before }
            outcome.servers[index].endRSS = memories[index].residentBytes()
            outcome.servers[index].peakRSS = memories[index].peakResidentBytes()
            outcome.servers[index].openAtEnd = atEnd.reduce(0) { $0 + ($1.openByServer.indices.contains(index) ? $1.openByServer[index] : 0) }
        }
        outcome.openAtEnd = atEnd.reduce(0) { $0 + $1.open }
        outcome.closedDuringHold = outcome.openWhenConnected - outcome.openAtEnd
        outcome.heartbeatsAnswered = atEnd.reduce(0) { $0 + $1.heartbeats }
        outcome.heartbeatsDuringHold = outcome.heartbeatsAnswered - heartbeatsBefore
        return outcome
    }

    private func reports(_ workers: [BenchWorkerProcess]) async throws -> [WorkerReport] {
        var reports: [WorkerReport] = []
        for worker in workers { reports.append(try await worker.report()) }
        return reports
    }
}
