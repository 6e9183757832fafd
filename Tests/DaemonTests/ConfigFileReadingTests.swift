import Foundation
import Testing
import TestSupport
@testable import Daemon

/// lorad's own configuration file and its token files, replaced by a FIFO,
/// a device or a folder, or larger than they may be: refused at once (also
/// on SIGHUP, which reads them the same way), naming the file and why.
@Suite struct ConfigFileReadingTests {
    @Test func aConfigurationFileThatIsNoRegularFileIsRefusedNamingWhatItIs() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-config-files")
        let fifo = dir.appendingPathComponent("lorad.conf")
        try SpecialFile.fifo(at: fifo)
        #expect(Deadline.refusal(releasing: fifo) { _ = try Configuration.load(file: fifo.path) }
                == "\(fifo.path): cannot read configuration file: is a FIFO (named pipe), not a regular file")
        #expect(Deadline.refusal { _ = try Configuration.load(file: "/dev/zero") }
                == "/dev/zero: cannot read configuration file: is a character device, not a regular file")
        #expect(Deadline.refusal { _ = try Configuration.load(file: dir.path) }
                == "\(dir.path): cannot read configuration file: is a directory, not a regular file")
        let big = dir.appendingPathComponent("big.conf")
        #expect(FileManager.default.createFile(atPath: big.path, contents: nil))
        #expect(truncate(big.path, 2 << 20) == 0)
        #expect(Deadline.refusal { _ = try Configuration.load(file: big.path) }
                == "\(big.path): cannot read configuration file: is \(2 << 20) bytes, larger than the \(1 << 20) bytes allowed for a configuration file")
    }

    @Test func aTokenFileThatIsNoRegularFileOrTooLargeIsRefusedNamingIt() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-config-files")
        let fifo = dir.appendingPathComponent("admin.token")
        try SpecialFile.fifo(at: fifo)
        #expect(Deadline.refusal(releasing: fifo) { _ = try BearerToken.read(file: fifo.path, key: "admin_token_file") }
                == "admin_token_file \(fifo.path): cannot read token file: is a FIFO (named pipe), not a regular file")
        #expect(Deadline.refusal { _ = try BearerToken.read(file: "/dev/urandom", key: "inference_token_file") }
                == "inference_token_file /dev/urandom: cannot read token file: is a character device, not a regular file")
        let big = dir.appendingPathComponent("big.token")
        try Data(repeating: 0x61, count: (64 << 10) + 1).write(to: big)
        #expect(Deadline.refusal { _ = try BearerToken.read(file: big.path, key: "admin_token_file") }
                == "admin_token_file \(big.path): cannot read token file: is \((64 << 10) + 1) bytes, larger than the \(64 << 10) bytes allowed for a token file")
    }
}
