import CourierWire
import Logging
import ServiceLifecycle

/// `CourierServer` as a swift-service-lifecycle `Service`: runs until graceful
/// shutdown (SIGINT/SIGTERM via `ServiceGroup`), then closes every session cleanly.
extension CourierServer: Service {
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        context.logger.info("shutting down", metadata: ["connections": "\(connectionCount)"])
        await drain()
    }
}
