import Foundation

/// Reads training samples: a file with one message per line, or a folder whose regular
/// files are one message each (read in name order, so training is reproducible).
enum SampleReader {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func read(_ path: String) throws -> [[UInt8]] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw Failure(description: "no such file or folder: \(path)") }
        if isDirectory.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            return try names.compactMap { name in
                let file = (path as NSString).appendingPathComponent(name)
                var nested: ObjCBool = false
                guard FileManager.default.fileExists(atPath: file, isDirectory: &nested), !nested.boolValue, !name.hasPrefix(".") else { return nil }
                return Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            }
        }
        let data = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        return data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map { line in
            Array(line.last == UInt8(ascii: "\r") ? line.dropLast() : line)
        }
    }
}
