import CourierWire

/// Lets ``ResumeTokens/verify(_:sessionID:now:)`` report the wire-level reason
/// directly as the failure of a `Result`.
///
/// This conformance belongs in CourierWire (where `ResumeFailure` is declared); it
/// lives here until that module adopts it, after which this file should be deleted.
extension HandshakeResponse.ResumeFailure: Error {}
