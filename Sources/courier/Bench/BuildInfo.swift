#if canImport(Glibc)
import Glibc
#endif

/// What every benchmark report states about how it was made.
enum BuildInfo {
    #if DEBUG
    static let mode = "debug"
    #else
    static let mode = "release"
    #endif

    static var cores: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
